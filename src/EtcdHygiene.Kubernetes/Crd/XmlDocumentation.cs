using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace EtcdHygiene.Kubernetes.Crd;

/// <summary>
/// The XML doc summaries of the API types: the CRD's descriptions come from the same sentences as
/// the code's docs. The documentation file the compiler writes for EtcdHygiene.Core is embedded in
/// this assembly at build time (EtcdHygiene.Kubernetes.csproj), as a Native AOT executable has no
/// file beside it.
/// </summary>
internal sealed partial class XmlDocumentation
{
    private readonly Dictionary<string, string> _summaries;

    private XmlDocumentation(Dictionary<string, string> summaries)
    {
        _summaries = summaries;
    }

    /// <summary>The resource name the documentation of EtcdHygiene.Core is embedded under.</summary>
    public const string CoreResource = "EtcdHygiene.Core.xml";

    public static XmlDocumentation OfCore()
    {
        using var stream = typeof(XmlDocumentation).Assembly.GetManifestResourceStream(CoreResource)
            ?? throw new InvalidOperationException($"{CoreResource} is not embedded: the CRD descriptions come from it (GenerateDocumentationFile)");
        var summaries = XDocument.Load(stream).Descendants("member")
            .Where(m => m.Element("summary") is not null)
            .ToDictionary(m => (string)m.Attribute("name")!, m => Flatten(m.Element("summary")!));
        return new XmlDocumentation(summaries);
    }

    public string? Of(PropertyInfo property) =>
        _summaries.GetValueOrDefault($"P:{property.DeclaringType!.FullName}.{property.Name}");

    public string? Of(Type type) => _summaries.GetValueOrDefault($"T:{type.FullName}");

    /// <summary>Summary text with cref/c elements turned into their text and whitespace collapsed.</summary>
    private static string Flatten(XElement summary)
    {
        var text = string.Concat(summary.Nodes().Select(node => node switch
        {
            XText t => t.Value,
            XElement { Name.LocalName: "see" } e => ((string?)e.Attribute("cref"))?.Split('.').Last() ?? e.Value,
            XElement e => e.Value,
            _ => "",
        }));
        return Whitespace().Replace(text, " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
