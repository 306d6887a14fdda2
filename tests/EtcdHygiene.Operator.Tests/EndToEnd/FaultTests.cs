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
        // The members stop one after another: a cycle may first see some of them down, and a later one all.
        await OperatorFixture.WaitUntilAsync(() => (string?)kube.Condition("registry", "Ready")?["reason"] == "ClusterUnreachable" && kube.ConditionIs("registry", "Ready", "False")
                && kube.ConditionIs("registry", "Degraded", "True") && cluster.Members.All(m => ((string?)kube.Condition("registry", "Degraded")!["message"])!.Contains(m.Name)),
            TimeSpan.FromSeconds(60), what: "Ready False (ClusterUnreachable) and Degraded True naming every member",
            describe: () => kube.Policy("registry")?["status"]?["conditions"]?.ToJsonString() ?? "no status");

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
