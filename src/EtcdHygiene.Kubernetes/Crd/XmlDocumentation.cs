using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace EtcdHygiene.Kubernetes.Crd;

/// <summary>
/// The XML doc summaries of the API types, read from the documentation file the compiler writes
/// next to the assembly: the CRD's descriptions come from the same sentences as the code's docs.
/// </summary>
internal sealed partial class XmlDocumentation
{
    private readonly Dictionary<string, string> _summaries;

    private XmlDocumentation(Dictionary<string, string> summaries)
    {
        _summaries = summaries;
    }

    public static XmlDocumentation For(Assembly assembly)
    {
        var path = Path.ChangeExtension(assembly.Location, ".xml");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: the CRD descriptions come from it (GenerateDocumentationFile)");
        }
        var summaries = XDocument.Load(path).Descendants("member")
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
