using EtcdHygiene.Operator.Standalone;
using System.Text.Json;
using System.Text.Json.Nodes;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Testing.Cli;
using Json.Schema;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace EtcdHygiene.Operator.Tests.Deployment;

/// <summary>The committed CRD is the generated one, is structural, and accepts exactly what the validator accepts.</summary>
[Trait("Etcd", "AnyVersion")]
public sealed class CrdTests
{
    private static readonly string Root = RepositoryRoot.Find();
    private static readonly string CommittedCrd = Path.Combine(Root, "config", "crd", "etcdhygiene.io_registrypolicies.yaml");

    [Fact]
    public async Task TheCommittedCrd_IsWhatTheGeneratorPrints()
    {
        var (exit, output, errors) = await CliProcess.RunAsync("crd");

        Assert.True(exit == 0, errors);
        Assert.Equal(RegistryPolicyCrd.Yaml(), output);
        Assert.True(File.ReadAllText(CommittedCrd) == output,
            "config/crd differs from the generator: run `etcd-hygiene crd -o config/crd/etcdhygiene.io_registrypolicies.yaml` and commit it");
    }

    [Fact]
    public void TheCrd_HasTheStatusSubresource_ShortNameAndPrinterColumns()
    {
        var crd = KubernetesJson.Deserialize<V1CustomResourceDefinition>(YamlJson.ToJson(File.ReadAllText(CommittedCrd)).ToJsonString());

        Assert.Equal("registrypolicies.etcdhygiene.io", crd.Metadata.Name);
        Assert.Equal(["rp"], crd.Spec.Names.ShortNames);
        Assert.Equal("Namespaced", crd.Spec.Scope);
        var version = Assert.Single(crd.Spec.Versions);
        Assert.Equal("v1alpha1", version.Name);
        Assert.NotNull(version.Subresources.Status);
        Assert.Equal(["Ready", "Largest DB", "Quota %", "Alarm", "Last Defrag", "Age"], version.AdditionalPrinterColumns.Select(c => c.Name));
    }

    [Fact]
    public void TheSchema_IsStructural_WithADescriptionOnEverySpecField()
    {
        var schema = KubernetesJson.Deserialize<V1CustomResourceDefinition>(YamlJson.ToJson(File.ReadAllText(CommittedCrd)).ToJsonString()).Spec.Versions[0].Schema.OpenAPIV3Schema;
        var problems = new List<string>();
        Walk(schema.Properties["spec"], ".spec", problems, needDescriptions: true);
        Walk(schema.Properties["status"], ".status", problems, needDescriptions: false);

        Assert.Empty(problems);
    }

    [Fact]
    public void EveryListAndStringOfTheSpec_IsBounded()
    {
        var schema = KubernetesJson.Deserialize<V1CustomResourceDefinition>(YamlJson.ToJson(File.ReadAllText(CommittedCrd)).ToJsonString()).Spec.Versions[0].Schema.OpenAPIV3Schema;
        var unbounded = new List<string>();
        void Walk(V1JSONSchemaProps node, string path)
        {
            if ((node.Type == "string" || node.XKubernetesIntOrString == true) && node.MaxLength is null && node.EnumProperty is null)
            {
                unbounded.Add(path);
            }
            if (node.Type == "array" && node.MaxItems is null)
            {
                unbounded.Add(path);
            }
            foreach (var (name, property) in node.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
            {
                Walk(property, $"{path}.{name}");
            }
            if (node.Items is V1JSONSchemaProps items)
            {
                Walk(items, $"{path}[]");
            }
        }
        Walk(schema.Properties["spec"], ".spec");

        Assert.Empty(unbounded);
        Assert.Equal(PolicyBounds.Endpoints, schema.Properties["spec"].Properties["etcd"].Properties["endpoints"].MaxItems); // the walk sees a bound where there is one
    }

    [Theory]
    [InlineData("local-demo.yaml")]
    [InlineData("go-micro-registry.yaml")]
    [InlineData("bitnami-etcd.yaml")]
    [InlineData("tls-and-auth.yaml")]
    public void TheSamples_AreValidAgainstTheCrdSchema_AndForTheValidator(string sample)
    {
        var path = Path.Combine(Root, "config", "samples", sample);

        var result = Schema().Evaluate(Element(YamlJson.ToJson(File.ReadAllText(path))), new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.True(result.IsValid, string.Join("; ", (result.Details ?? []).Where(HasErrors).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
        PolicyFileReader.Load(path);
    }

    [Theory]
    [InlineData("defragmentation: { rule: { minFragmentationRatio: 1.5 } }", "/spec/defragmentation/rule/minFragmentationRatio")]
    [InlineData("compaction: { mode: periodic }", "/spec/compaction/mode")]
    [InlineData("compaction: { retention: forever }", "/spec/compaction/retention")]
    [InlineData("alarms: { disarmBelowQuotaRatio: 0 }", "/spec/alarms/disarmBelowQuotaRatio")]
    [InlineData("analysis: { topKeys: 0 }", "/spec/analysis/topKeys")]
    [InlineData("analysis: { prefixes: [/0/, /1/, /2/, /3/, /4/, /5/, /6/, /7/, /8/, /9/, /10/, /11/, /12/, /13/, /14/, /15/, /16/, /17/, /18/, /19/, /20/, /21/, /22/, /23/, /24/, /25/, /26/, /27/, /28/, /29/, /30/, /31/, /32/] }",
        "/spec/analysis/prefixes")]
    public void WhatTheValidatorRefuses_TheSchemaRefusesToo(string specLine, string location)
    {
        var yaml = $"""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata: {"{"} name: bad {"}"}
            spec:
              etcd: {"{"} endpoints: ["http://127.0.0.1:2379"] {"}"}
              {specLine}
            """;

        var result = Schema().Evaluate(Element(YamlJson.ToJson(yaml)), new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.False(result.IsValid);
        Assert.Contains(result.Details ?? [], d => HasErrors(d) && d.InstanceLocation.ToString() == location);
        Assert.Throws<PolicyFileException>(() => PolicyFile.Parse(yaml, "bad.yaml"));
    }

    [Fact]
    public void TheCrdDefaults_AreTheValidatorsDefaults()
    {
        const string minimal = """
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata: { name: minimal }
            spec:
              etcd: { endpoints: ["http://127.0.0.1:2379"] }
              compaction: {}
              defragmentation: { rule: {} }
              alarms: {}
              analysis: {}
            """;
        var schema = KubernetesJson.Deserialize<V1CustomResourceDefinition>(YamlJson.ToJson(File.ReadAllText(CommittedCrd)).ToJsonString()).Spec.Versions[0].Schema.OpenAPIV3Schema;
        var defaulted = YamlJson.ToJson(minimal).AsObject();
        // What the API server does before storing: fill every default of spec's object fields.
        ApplyDefaults(schema.Properties["spec"], defaulted["spec"]!.AsObject());
        Assert.Equal("Periodic", (string?)defaulted["spec"]!["compaction"]!["mode"]);

        var fromFile = PolicyFile.Parse(minimal, "minimal.yaml");
        var fromApiServer = PolicyFile.Parse(defaulted.ToJsonString(), "defaulted.json");

        Assert.Equal(fromFile.Compaction, fromApiServer.Compaction);
        Assert.Equal(fromFile.Defragmentation, fromApiServer.Defragmentation);
        Assert.Equal(fromFile.Alarms, fromApiServer.Alarms);
        Assert.Equal((fromFile.Etcd.RequestTimeout, fromFile.Etcd.DefragTimeout), (fromApiServer.Etcd.RequestTimeout, fromApiServer.Etcd.DefragTimeout));
        Assert.Equal((fromFile.Analysis.Window, fromFile.Analysis.TopKeys), (fromApiServer.Analysis.Window, fromApiServer.Analysis.TopKeys));
    }

    private static bool HasErrors(EvaluationResults result) => result.Errors is { Count: > 0 };

    private static JsonElement Element(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement;

    private static void ApplyDefaults(V1JSONSchemaProps schema, JsonObject value)
    {
        foreach (var (name, property) in schema.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
        {
            if (property.Type == "object" && property.Properties is not null)
            {
                // Like the API server: defaults apply inside objects that are there.
                if (value[name] is JsonObject present)
                {
                    ApplyDefaults(property, present);
                }
            }
            else if (value[name] is null && property.DefaultProperty is { } fallback)
            {
                value[name] = JsonSerializer.SerializeToNode(fallback);
            }
        }
    }

    private static void Walk(V1JSONSchemaProps schema, string path, List<string> problems, bool needDescriptions)
    {
        if (schema.Type is null && schema.XKubernetesIntOrString != true)
        {
            problems.Add($"{path} has no type");
        }
        if (needDescriptions && string.IsNullOrWhiteSpace(schema.Description))
        {
            problems.Add($"{path} has no description");
        }
        foreach (var (name, property) in schema.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
        {
            Walk(property, $"{path}.{name}", problems, needDescriptions);
        }
        if (schema.Items is V1JSONSchemaProps items && items.Properties is not null)
        {
            Walk(items, $"{path}[]", problems, needDescriptions);
        }
    }

    /// <summary>
    /// The CRD's openAPIV3Schema as a JSON Schema: OpenAPI 3.0's boolean exclusiveMinimum becomes a
    /// bound, and the x-kubernetes-* extensions (the API server's business) are left out.
    /// </summary>
    internal static JsonSchema Schema()
    {
        var node = YamlJson.ToJson(File.ReadAllText(CommittedCrd))["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.DeepClone();
        ToJsonSchemaDialect(node);
        return JsonSchema.FromText(node.ToJsonString());
    }

    private static void ToJsonSchemaDialect(JsonNode? node)
    {
        if (node is JsonObject obj)
        {
            foreach (var extension in obj.Select(p => p.Key).Where(k => k.StartsWith("x-kubernetes-")).ToList())
            {
                obj.Remove(extension);
            }
            if (obj["exclusiveMinimum"] is JsonValue exclusive && exclusive.GetValueKind() == JsonValueKind.True)
            {
                obj["exclusiveMinimum"] = obj["minimum"]!.DeepClone();
                obj.Remove("minimum");
            }
            foreach (var child in obj.Select(p => p.Value).ToList())
            {
                ToJsonSchemaDialect(child);
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array)
            {
                ToJsonSchemaDialect(child);
            }
        }
    }
}
