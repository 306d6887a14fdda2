using System.Text.Json.Nodes;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>The operator when etcd goes away under it, for real.</summary>
public sealed class FaultTests
{
    /// <summary>
    /// At the default 5m interval: the watch reports the outage within seconds, and the retries
    /// after a cycle that could not observe see etcd back within a minute, not at the next interval.
    /// </summary>
    [Fact]
    public async Task TheWholeClusterUnreachable_IsReported_NothingCrashes_AndItRecoversWhenEtcdReturns()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await using var kube = await OperatorFixture.StartAsync();
        var (_, _, running) = kube.StartReplica();
        kube.ApplyPolicy("registry", cluster.ClientUrls, new JsonObject
        {
            ["analysis"] = new JsonObject { ["prefixes"] = new JsonArray("/micro/registry/") },
        });
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "Ready", "True"), what: "Ready");

        foreach (var member in cluster.Members)
        {
            await member.StopAsync();
        }
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "Ready", "False") && kube.ConditionIs("registry", "Degraded", "True"),
            TimeSpan.FromSeconds(60), what: "Ready False and Degraded True with every member down");
        Assert.Equal("ClusterUnreachable", (string?)kube.Condition("registry", "Ready")!["reason"]);
        Assert.All(cluster.Members, m => Assert.Contains(m.Name, (string?)kube.Condition("registry", "Degraded")!["message"]));

        foreach (var member in cluster.Members)
        {
            member.Start();
        }
        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "Ready", "True") && kube.ConditionIs("registry", "Degraded", "False"),
            TimeSpan.FromSeconds(60), what: "recovered", describe: () => kube.Policy("registry")?["status"]?["conditions"]?.ToJsonString() ?? "no status");
        Assert.False(running.IsCompleted, "the operator stopped");
    }
}
