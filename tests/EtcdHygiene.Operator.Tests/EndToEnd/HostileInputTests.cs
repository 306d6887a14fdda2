using System.Text.Json;
using System.Text.Json.Nodes;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Kubernetes.Resources;
using EtcdHygiene.Operator.Tests.Deployment;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Kubernetes;
using Json.Schema;
using k8s;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// Safety rule 5 against a generated table of hostile specs: the CRD schema refuses what it can, the
/// operator refuses the rest with InvalidSpec naming the field, nothing crashes and nothing reaches
/// etcd; policy files with the same mistakes make the standalone commands exit 1 saying why.
/// </summary>
[Trait("Etcd", "AnyVersion")]
public sealed class HostileInputTests
{
    /// <summary>
    /// Each case sets one spec field (a dotted path under spec) to a hostile value. "{hostport}" in
    /// a value stands for the address the test listens on, so that a malformed endpoint that still
    /// names an address is measured to receive nothing.
    /// </summary>
    public static readonly TheoryData<string, string> Cases = new()
    {
        // Wrong types.
        { "compaction.retention", "5" },
        { "etcd.endpoints", "\"http://{hostport}\"" },
        { "suspend", "\"yes\"" },
        { "analysis.topKeys", "\"ten\"" },
        { "defragmentation.rule", "[]" },
        { "analysis.prefixes", "\"/micro/\"" },
        // Out of range.
        { "analysis.topKeys", "0" },
        { "analysis.topKeys", "1000000" },
        { "analysis.groupDepth", "-1" },
        { "alarms.disarmBelowQuotaRatio", "1.5" },
        { "defragmentation.rule.minFragmentationRatio", "-0.1" },
        { "defragmentation.rule.quotaUsageAbove", "7" },
        { "compaction.retainRevisions", "-5" },
        // Huge values.
        { "compaction.retention", "\"99999999999h\"" },
        { "etcd.quotaBackendBytes", "\"9999999Ei\"" },
        { "compaction.retainRevisions", "1e30" },
        { "analysis.window", "\"100000000000000000000s\"" },
        // Malformed URLs.
        { "etcd.endpoints", "[\"not a url\"]" },
        { "etcd.endpoints", "[\"ftp://{hostport}\"]" },
        { "etcd.endpoints", "[\"{hostport}\"]" },
        { "etcd.endpoints", "[\"http://{hostport}/v3\"]" },
        { "etcd.endpoints", "[\"http://\"]" },
        { "etcd.endpoints", "[\"\"]" },
        { "etcd.endpoints", "[]" },
        // Cron expressions.
        { "defragmentation.schedule", "\"61 * * * *\"" },
        { "defragmentation.schedule", "\"every day\"" },
        { "defragmentation.schedule", "\"* * *\"" },
        // Durations.
        { "compaction.interval", "\"5 minutes\"" },
        { "compaction.interval", "\"-5m\"" },
        { "etcd.requestTimeout", "\"0s\"" },
        { "compaction.retention", "\"1y\"" },
        // Quantities.
        { "etcd.quotaBackendBytes", "\"12XB\"" },
        { "etcd.quotaBackendBytes", "\"-1Gi\"" },
        { "defragmentation.rule.minDbSizeBytes", "\"1.5.5Mi\"" },
        // Enumerations.
        { "compaction.mode", "\"Sometimes\"" },
        { "alarms.emergencyCompaction", "\"Everything\"" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryHostileSpec_IsRefusedByTheSchemaOrByTheOperator_NamingTheField(string field, string value)
    {
        var policy = Policy(field, value.Replace("{hostport}", "127.0.0.1:2379"), "http://127.0.0.1:2379");

        var schemaRefuses = !CrdTests.Schema().Evaluate(JsonDocument.Parse(policy.ToJsonString()).RootElement).IsValid;
        var operatorProblems = OperatorProblems(policy);

        Assert.True(schemaRefuses || operatorProblems.Count > 0, $"spec.{field} = {value} passed both the CRD schema and the operator");
        if (operatorProblems.Count > 0)
        {
            Assert.Contains(operatorProblems, p => p.Contains("spec." + field));
        }
    }

    [Fact]
    public async Task TheApiServerRefusesWhatTheSchemaCan_NamingTheField_AndTheOperatorReportsTheRest_NeverCrashes_AndNeverCallsEtcd()
    {
        using var etcd = new ConnectionCounter();
        var endpoint = etcd.Url;
        await using var kube = await OperatorFixture.StartAsync();
        var (_, _, running) = kube.StartReplica();

        // What the API server's admission refuses never reaches the operator, unless it was stored
        // under an earlier schema: those are stored as they are, and the operator must report them too.
        var names = new List<(string Name, string Field)>();
        var refusedByTheSchema = 0;
        foreach (var (field, value) in Cases.Select(c => ((string)c[0], (string)c[1])))
        {
            var name = $"hostile-{names.Count}";
            var policy = Policy(field, value.Replace("{hostport}", endpoint["http://".Length..]), endpoint);
            policy["metadata"] = new JsonObject { ["name"] = name };
            try
            {
                kube.Api.Apply(OperatorFixture.Policies, OperatorFixture.Ns, policy);
            }
            catch (ApiRefusalException refused)
            {
                refusedByTheSchema++;
                Assert.Equal(422, refused.Code);
                var fields = refused.Status["details"]!["causes"]!.AsArray().Select(c => (string?)c!["field"]).ToList();
                Assert.True(fields.Any(f => f == "spec." + field || f!.StartsWith("spec." + field + "[")), $"spec.{field} = {value}: the refusal names {string.Join(", ", fields)}");
                kube.Api.StoreAsIs(OperatorFixture.Policies, OperatorFixture.Ns, policy);
            }
            names.Add((name, field));
        }

        Assert.InRange(refusedByTheSchema, 1, names.Count - 1); // both paths are exercised
        await OperatorFixture.WaitUntilAsync(() => names.All(n => kube.ConditionIs(n.Name, "InvalidSpec", "True")), TimeSpan.FromSeconds(60),
            what: "InvalidSpec on every hostile policy",
            describe: () => string.Join(", ", names.Where(n => !kube.ConditionIs(n.Name, "InvalidSpec", "True")).Select(n => $"{n.Name} ({n.Field})")));
        foreach (var (name, field) in names)
        {
            Assert.Contains("spec." + field, (string?)kube.Condition(name, "InvalidSpec")!["message"]);
        }
        // A whole watch interval (spec.alarms.checkInterval, 2 s) later, still nothing reached the
        // address every policy names.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.False(running.IsCompleted, "the operator stopped");
        Assert.Equal(0, etcd.Connections);
        // The measurement can see a connection: a valid policy naming the same address is connected to.
        kube.ApplyPolicy("valid", [endpoint]);
        await OperatorFixture.WaitUntilAsync(() => etcd.Connections > 0, TimeSpan.FromSeconds(30), what: "a connection from the valid policy");
    }

    [Theory]
    [InlineData("compaction: { retention: 5m, retentionn: 1h }", "(spec.compaction.retentionn)")]
    [InlineData("compaction: { interval: 5 minutes }", "spec.compaction.interval")]
    [InlineData("defragmentation: { schedule: \"61 * * * *\" }", "spec.defragmentation.schedule")]
    [InlineData("etcd: { endpoints: [\"ftp://127.0.0.1:2379\"] }", "spec.etcd.endpoints")]
    [InlineData("analysis: { topKeys: ten }", "line 6, column 24 (spec.analysis.topKeys)")]
    [InlineData("etcd: { endpoints: [\"http://127.0.0.1:1\"], requestTimeout: [3s] }", "(spec.etcd.requestTimeout)")]
    [InlineData("compaction: [ unclosed", "line")]
    [InlineData("alarms: { disarmBelowQuotaRatio: 1.5 }", "spec.alarms.disarmBelowQuotaRatio")]
    public async Task AHostilePolicyFile_MakesRunExit1_SayingWhy(string specLine, string named)
    {
        using var folder = new PolicyFolder();
        var path = Path.Combine(folder.Path, "hostile.yaml");
        File.WriteAllText(path, $"""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata: {"{"} name: hostile {"}"}
            spec:
              {(specLine.StartsWith("etcd:") ? specLine : "etcd: { endpoints: [\"http://127.0.0.1:1\"] }\n  " + specLine)}
            """);

        var (exit, output, errors) = await CliProcess.RunAsync("run", "--once", "--policy", path, "--state-dir", folder.StateDirectory);

        Assert.True(exit == 1, $"exit {exit}{Environment.NewLine}{output}{errors}");
        Assert.Contains(named, errors);
        Assert.Contains("hostile.yaml", errors);
        Assert.DoesNotContain("   at ", errors); // a message, not a stack trace
    }

    /// <summary>What the operator says about <paramref name="policy"/>: the unreadable field, or the validator's problems.</summary>
    private static IReadOnlyList<string> OperatorProblems(JsonObject policy)
    {
        RegistryPolicyResource resource;
        try
        {
            resource = System.Text.Json.JsonSerializer.Deserialize(policy.ToJsonString(), ResourceJson.Default.RegistryPolicyResource)!;
        }
        catch (JsonException e)
        {
            return [RegistryPolicyResource.FromUnreadable(policy, e).Unreadable!];
        }
        var validation = PolicyValidator.Validate(new RegistryPolicyManifest
        {
            ApiVersion = resource.ApiVersion,
            Kind = resource.Kind,
            Metadata = new PolicyMetadata { Name = "hostile", Namespace = "registry", Generation = 1 },
            Spec = resource.Spec,
        });
        return validation.Problems;
    }

    private static JsonObject Policy(string field, string value, string endpoint)
    {
        var spec = new JsonObject { ["etcd"] = new JsonObject { ["endpoints"] = new JsonArray(endpoint) } };
        var parts = field.Split('.');
        var target = spec;
        foreach (var part in parts[..^1])
        {
            target = target[part] as JsonObject ?? (JsonObject)(target[part] = new JsonObject());
        }
        target[parts[^1]] = JsonNode.Parse(value);
        return new JsonObject
        {
            ["apiVersion"] = "etcdhygiene.io/v1alpha1",
            ["kind"] = "RegistryPolicy",
            ["metadata"] = new JsonObject { ["name"] = "hostile", ["namespace"] = OperatorFixture.Ns },
            ["spec"] = spec,
        };
    }
}
