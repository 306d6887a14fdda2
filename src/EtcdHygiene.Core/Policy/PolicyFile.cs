using EtcdHygiene.Core.Api;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace EtcdHygiene.Core.Policy;

/// <summary>
/// Reads a RegistryPolicy from YAML — the same manifest a user would <c>kubectl apply</c> — for the
/// standalone <c>run</c> and <c>check</c> commands (which read the file: <c>PolicyFileReader</c>). Every failure is a <see cref="PolicyFileException"/>
/// whose message names the file and, where it can, the line and the field.
/// </summary>
public static class PolicyFile
{
    private static readonly IDeserializer Yaml = new StaticDeserializerBuilder(new PolicyYamlContext())
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .Build();

    /// <summary>Parses and validates policy YAML; <paramref name="source"/> names it in messages.</summary>
    public static HygienePolicy Parse(string yaml, string source)
    {
        var manifest = Deserialize(yaml, source);
        var validation = PolicyValidator.Validate(manifest);
        if (!validation.IsValid)
        {
            throw new PolicyFileException(
                $"{source}: the policy is invalid:{Environment.NewLine}  - {string.Join($"{Environment.NewLine}  - ", validation.Problems)}",
                validation.Problems);
        }
        return validation.Policy!;
    }

    private static RegistryPolicyManifest Deserialize(string yaml, string source)
    {
        try
        {
            var documents = new List<FileManifest?>();
            var parser = new Parser(new StringReader(yaml));
            parser.Consume<YamlDotNet.Core.Events.StreamStart>();
            while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
            {
                documents.Add(Yaml.Deserialize<FileManifest?>(parser));
            }
            var manifests = documents.Where(d => d is not null).ToList();
            if (manifests.Count != 1)
            {
                throw new PolicyFileException($"{source}: expected exactly one RegistryPolicy document (found {manifests.Count})");
            }
            return manifests[0]!.ToManifest();
        }
        catch (YamlException e)
        {
            var field = YamlFieldPath.At(yaml, e.Start) is { } path ? $" ({path})" : "";
            throw new PolicyFileException($"{source}: line {e.Start.Line}, column {e.Start.Column}{field}: {Innermost(e).Message}");
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    /// <summary>
    /// The file's shape. Unknown fields fail with their line: a misspelt "retension" would otherwise
    /// be ignored and its default silently used (Kubernetes' structural schema refuses it too).
    /// metadata and status stay free-form so that a manifest exported from a cluster loads.
    /// </summary>
    internal sealed class FileManifest
    {
        public string? ApiVersion { get; set; }
        public string? Kind { get; set; }
        public Dictionary<string, object?>? Metadata { get; set; }
        public RegistryPolicySpec? Spec { get; set; }
        public object? Status { get; set; }

        public RegistryPolicyManifest ToManifest() => new()
        {
            ApiVersion = ApiVersion,
            Kind = Kind,
            Spec = Spec,
            Metadata = new PolicyMetadata
            {
                Name = Metadata?.GetValueOrDefault("name") as string,
                Namespace = Metadata?.GetValueOrDefault("namespace") as string,
                Generation = long.TryParse(Metadata?.GetValueOrDefault("generation") as string, out var generation) ? generation : null,
                Labels = (Metadata?.GetValueOrDefault("labels") as Dictionary<object, object?>)?
                    .ToDictionary(kv => kv.Key.ToString()!, kv => kv.Value?.ToString() ?? ""),
            },
        };
    }
}
