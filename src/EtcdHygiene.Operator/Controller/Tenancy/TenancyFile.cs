using EtcdHygiene.Core.Policy;
using EtcdHygiene.Core.Tenancy;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace EtcdHygiene.Operator.Controller.Tenancy;

/// <summary>
/// Reads the operator's tenancy configuration (<c>--tenancy-config</c>; the chart writes it from
/// <c>tenancy.rules</c> into a ConfigMap). A mistake in it stops the operator at start with the
/// file, the rule and the field: a rule silently dropped would refuse a team's policies, or worse,
/// a misspelt limit would not apply.
/// </summary>
public static class TenancyFile
{
    private static readonly IDeserializer Yaml = new StaticDeserializerBuilder(new TenancyYamlContext()).WithNamingConvention(CamelCaseNamingConvention.Instance).Build();

    /// <summary>The rules in <paramref name="path"/>; an <see cref="ArgumentException"/> says what is wrong.</summary>
    public static TenancyRules Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{path}: cannot read the tenancy configuration: {e.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses the rules; <paramref name="source"/> names the file in messages and refusals.</summary>
    public static TenancyRules Parse(string yaml, string source)
    {
        Document? document;
        try
        {
            document = Yaml.Deserialize<Document?>(yaml);
        }
        catch (YamlException e)
        {
            var field = YamlFieldPath.At(yaml, e.Start) is { } at ? $" ({at})" : "";
            throw new ArgumentException($"{source}: line {e.Start.Line}, column {e.Start.Column}{field}: {(e.InnerException ?? e).Message}");
        }
        var rules = new List<TenantRule>();
        foreach (var (rule, index) in (document?.Rules ?? []).Select((r, i) => (r, i)))
        {
            var path = $"rules[{index}]";
            rules.Add(Read(rule, path, source));
        }
        return new TenancyRules { Rules = rules, Source = $"the tenancy configuration {source} (chart value tenancy.rules)" };
    }

    private static TenantRule Read(Rule? rule, string path, string source)
    {
        string Problem(string what) => $"{source}: {path}{what}";
        if (rule?.Namespaces is not { Count: > 0 } namespaces || namespaces.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException(Problem(".namespaces must list at least one namespace or pattern (\"*\" for all)"));
        }
        if (rule.Endpoints is not { Count: > 0 } endpoints)
        {
            throw new ArgumentException(Problem(".endpoints must list at least one host pattern or CIDR (\"*\" for any)"));
        }
        var patterns = new List<EndpointPattern>();
        foreach (var (endpoint, i) in endpoints.Select((e, i) => (e, i)))
        {
            try
            {
                patterns.Add(EndpointPattern.Parse(endpoint ?? ""));
            }
            catch (FormatException e)
            {
                throw new ArgumentException(Problem($".endpoints[{i}]: {e.Message}"));
            }
        }
        var minRetention = TenancyDefaults.MinRetention;
        if (rule.MinRetention is { } retention && !GoDuration.TryParse(retention, out minRetention))
        {
            throw new ArgumentException(Problem($".minRetention must be a duration such as 10m or 1h (got \"{retention}\")"));
        }
        if (rule.MinRetainRevisions is < 0)
        {
            throw new ArgumentException(Problem(".minRetainRevisions must not be negative"));
        }
        return new TenantRule
        {
            Namespaces = namespaces,
            Endpoints = patterns,
            MinRetention = minRetention,
            MinRetainRevisions = rule.MinRetainRevisions ?? TenancyDefaults.MinRetainRevisions,
            Analysis = rule.Analysis ?? false,
            Path = path,
        };
    }

    /// <summary>The file's shape; an unknown field fails with its line, so a misspelt limit never goes unapplied.</summary>
    internal sealed class Document
    {
        public List<Rule?>? Rules { get; set; }
    }

    internal sealed class Rule
    {
        public List<string>? Namespaces { get; set; }
        public List<string?>? Endpoints { get; set; }
        public string? MinRetention { get; set; }
        public long? MinRetainRevisions { get; set; }
        public bool? Analysis { get; set; }
    }
}
