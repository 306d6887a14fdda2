using System.Text.Json.Nodes;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Operator.Tests.Controller;

/// <summary>
/// The administrator's tenancy rules (<c>--tenancy-config</c>): a policy outside them is refused
/// with a condition naming the setting, and the etcd it names never sees a connection.
/// </summary>
[Trait("Etcd", "AnyVersion")]
public sealed class TenancyTests
{
    [Fact]
    public async Task PoliciesOutsideTheRules_AreRefusedNamingTheSetting_AndNothingConnects_OneInsideWorks()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        using var allowed = new ConnectionCounter();
        using var outside = new ConnectionCounter();
        await using var kube = await OperatorFixture.StartAsync();
        kube.TenancyYaml = $"""
            rules:
              - namespaces: [{OperatorFixture.Ns}]
                endpoints: ["{new Uri(allowed.Url).Authority}", "{new Uri(cluster.ClientUrls[0]).Authority}"]
                minRetention: 10m
            """;
        kube.StartReplica();

        kube.ApplyPolicy("outside", [outside.Url]);
        kube.ApplyPolicy("short", [allowed.Url], new JsonObject { ["compaction"] = new JsonObject { ["retention"] = "1ms" } });
        kube.ApplyPolicy("analysis", [allowed.Url], new JsonObject { ["analysis"] = new JsonObject { ["prefixes"] = new JsonArray("/micro/registry/") } });

        Assert.Contains($"endpoint {outside.Url} is not one namespace registry may name", await RefusalAsync(kube, "outside"));
        Assert.Contains("spec.compaction.retention 1ms is below 10m, the minimum of tenancy rules[0].minRetention", await RefusalAsync(kube, "short"));
        Assert.Contains("tenancy rules[0].analysis does not let policies of namespace registry read keys", await RefusalAsync(kube, "analysis"));
        Assert.All(["outside", "short", "analysis"], name =>
        {
            Assert.Contains("set by the tenancy configuration", (string?)kube.Condition(name, "Ready")!["message"]);
            Assert.Contains(kube.EventsOf(name), e => e is ("Warning", "NotAllowed", _));
        });
        await Task.Delay(500);
        Assert.Equal((0, 0), (allowed.Connections, outside.Connections));

        // Positive controls: the counter sees a policy that is allowed to reach it, and one inside
        // the rules maintains its etcd.
        kube.ApplyPolicy("inside-counter", [allowed.Url]);
        await OperatorFixture.WaitUntilAsync(() => allowed.Connections > 0, what: "the allowed policy connects");
        kube.ApplyPolicy("inside", cluster.ClientUrls);
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("inside", "Ready", "True"), what: "the policy inside the rules is Ready",
            describe: () => kube.Condition("inside", "Ready")?.ToJsonString() ?? "no Ready");
        Assert.Equal(0, outside.Connections);
    }

    [Fact]
    public async Task WithoutRules_EveryPolicyIsRefused()
    {
        using var etcd = new ConnectionCounter();
        await using var kube = await OperatorFixture.StartAsync();
        kube.TenancyYaml = "rules: []";
        kube.StartReplica();
        kube.ApplyPolicy("registry", [etcd.Url]);

        Assert.Contains("no tenancy rule covers namespace registry", await RefusalAsync(kube, "registry"));
        await Task.Delay(500);
        Assert.Equal(0, etcd.Connections);
    }

    private static async Task<string> RefusalAsync(OperatorFixture kube, string name)
    {
        await OperatorFixture.WaitUntilAsync(() => (string?)kube.Condition(name, "Ready")?["reason"] == "NotAllowed", what: $"{name} refused",
            describe: () => kube.Condition(name, "Ready")?.ToJsonString() ?? "no Ready");
        return (string)kube.Condition(name, "Ready")!["message"]!;
    }
}
