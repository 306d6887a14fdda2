using System.Text.Json.Nodes;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// <c>suspend: true</c> and deleting the policy act before the next step, not at the next cycle:
/// a defragmentation in flight (held by stopping its member) is waited for and recorded, and no
/// step follows it. Before, the cycle went on defragmenting the other members.
/// </summary>
[Trait("Etcd", "AnyVersion")]
public sealed class SuspendAndDeleteTests
{
    private static readonly JsonObject Spec = new()
    {
        ["defragmentation"] = new JsonObject
        {
            ["rule"] = new JsonObject { ["minFragmentationRatio"] = 0.1, ["minDbSizeBytes"] = "1Mi", ["minReclaimableBytes"] = "512Ki" },
            ["pauseBetweenMembers"] = "1s",
        },
    };

    [Fact]
    public async Task SuspendDuringADefragmentation_TheDefragmentationIsRecorded_AndNoStepFollows()
    {
        await RunAsync((kube, endpoints) =>
        {
            var spec = (JsonObject)Spec.DeepClone();
            spec["suspend"] = true;
            kube.ApplyPolicy("held", endpoints, spec);
        }, (kube, held) =>
        {
            // Recorded in status: the member's last defragmentation, nothing unfinished, and a cycle
            // of the suspended spec since.
            var policy = kube.Policy("held");
            var status = policy?["status"];
            return status?["unfinishedDefrag"] is null
                && status?["members"]?.AsArray().Any(m => (string?)m?["name"] == held.Name && m?["lastDefragTime"] is not null) == true
                && (long?)status?["observedGeneration"] == (long?)policy?["metadata"]?["generation"];
        });
    }

    [Fact]
    public async Task DeleteDuringADefragmentation_TheDefragmentationEnds_AndNoStepFollows()
    {
        await RunAsync((kube, _) => kube.Api.Delete(OperatorFixture.Policies, OperatorFixture.Ns, "held"), (_, _) => true);
    }

    /// <summary>
    /// A fragmented 3-member cluster, the operator defragmenting it; its first defragmentation is
    /// held in flight, <paramref name="change"/> is made, the member let go; then etcd's logs must
    /// show that defragmentation finished and none after it, and <paramref name="recorded"/> hold.
    /// </summary>
    private static async Task RunAsync(Action<OperatorFixture, IReadOnlyList<string>> change, Func<OperatorFixture, EtcdTestMember, bool> recorded)
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAndCompactAsync(cluster.CreateClient(), 8);

        await using var kube = await OperatorFixture.StartAsync();
        var kubeconfig = kube.WriteKubeconfig();
        EtcdTestMember? held = null;
        try
        {
            kube.ApplyPolicy("held", cluster.ClientUrls, (JsonObject)Spec.DeepClone());
            await using var operatorProcess = CliProcess.Start("operator", "--kubeconfig", kubeconfig, "--tenancy-config", kube.TenancyConfig(), "--metrics-bind-address", "0", "--health-probe-bind-address", "0");
            var hold = new DefragmentationHold(operatorProcess, cluster);
            held = await hold.HeldAsync(TimeSpan.FromSeconds(60), () => operatorProcess.Errors);

            change(kube, cluster.ClientUrls);
            // The reconcile sees the change while the member is still stopped.
            await Task.Delay(TimeSpan.FromSeconds(3));
            held.Resume();

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!(Finished(cluster, held) && recorded(kube, held)) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
            Assert.True(Finished(cluster, held), $"etcd never finished the held defragmentation:{Environment.NewLine}{operatorProcess.Errors}");
            Assert.True(recorded(kube, held), $"the defragmentation was not recorded: {kube.Policy("held")?["status"]?.ToJsonString()}{Environment.NewLine}{operatorProcess.Errors}");
            Assert.Contains($"Defragment {held.Name} done in", operatorProcess.Errors);

            // Longer than the pause and the settling after a step: nothing follows.
            await Task.Delay(TimeSpan.FromSeconds(8));
            var audit = new MaintenanceAudit(cluster);
            var only = Assert.Single(audit.Defragmentations);
            Assert.Equal(held.Name, only.Member);
        }
        finally
        {
            if (held is { IsPaused: true })
            {
                held.Resume();
            }
            File.Delete(kubeconfig);
        }
    }

    private static bool Finished(EtcdTestCluster cluster, EtcdTestMember member) =>
        new MaintenanceAudit(cluster).Defragmentations.Any(d => d.Member == member.Name && d.End is not null);
}
