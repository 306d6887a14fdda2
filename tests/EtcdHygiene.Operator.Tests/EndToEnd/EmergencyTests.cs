using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// Safety rule 11: an emergency never waits behind routine work. The operator, with a single
/// work-queue worker, is defragmenting one cluster — that defragmentation held in flight by stopping
/// its member — when a policy for another cluster, at NOSPACE, is applied. Its recovery must start
/// while the first cluster's defragmentation is still held. When a reconcile ran a whole cycle in
/// its worker, the second policy waited for the first cluster's maintenance to end.
/// </summary>
public sealed partial class EmergencyTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task NoSpaceOnOneCluster_IsActedOn_WhileAnotherClustersDefragmentationIsHeldInFlight()
    {
        await using var busy = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAndCompactAsync(busy.CreateClient(), 8);
        await using var alarmed = await EtcdTestCluster.StartAsync(new() { Members = 1, QuotaBackendBytes = 16 * MiB });
        await new RegistryWorkload(alarmed.CreateClient(), new RegistryWorkloadOptions { Services = 10, NodesPerService = 5, Writers = 8 }).FillUntilNoSpaceAsync();

        await using var kube = await OperatorFixture.StartAsync();
        var kubeconfig = kube.WriteKubeconfig();
        EtcdTestMember? held = null;
        try
        {
            kube.ApplyPolicy("busy", busy.ClientUrls, new JsonObject
            {
                ["defragmentation"] = new JsonObject
                {
                    ["rule"] = new JsonObject { ["minFragmentationRatio"] = 0.1, ["minDbSizeBytes"] = "1Mi", ["minReclaimableBytes"] = "512Ki" },
                },
            });
            await using var operatorProcess = CliProcess.Start("operator", "--kubeconfig", kubeconfig, "--tenancy-config", kube.TenancyConfig(), "--workers", "1",
                "--metrics-bind-address", "0", "--health-probe-bind-address", "0");
            var hold = new DefragmentationHold(operatorProcess, busy);
            held = await hold.HeldAsync(TimeSpan.FromSeconds(60), () => operatorProcess.Errors);

            // The other cluster's policy arrives while the only worker's earlier reconcile has a defragmentation in flight.
            kube.ApplyPolicy("alarmed", alarmed.ClientUrls);
            await OperatorFixture.WaitUntilAsync(() => operatorProcess.Errors.Split('\n').Any(l => l.Contains("registry/alarmed") && RecoveryStep().IsMatch(l)),
                TimeSpan.FromSeconds(60), "the first recovery step on the alarmed cluster", () => operatorProcess.Errors);

            // It started while the busy cluster's defragmentation was still held: the member still
            // stopped, and no "done" for it yet. The control, once the member is let go: the log
            // does say "done" when that defragmentation ends, so its absence above meant in flight.
            Assert.True(held.IsPaused);
            var done = $"Defragment {held.Name} done in";
            Assert.DoesNotContain(done, operatorProcess.Errors);
            held.Resume();
            await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("alarmed", "NoSpaceAlarm", "False") && kube.ConditionIs("alarmed", "Ready", "True"),
                TimeSpan.FromSeconds(60), "the alarmed cluster recovered", () => operatorProcess.Errors);
            await OperatorFixture.WaitUntilAsync(() => operatorProcess.Errors.Contains(done), TimeSpan.FromSeconds(60), "the held defragmentation's end in the log",
                () => operatorProcess.Errors);
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

    // A recovery step's line as the cycle logs it right before the request.
    [GeneratedRegex(@": (Compact to revision \d+ \(\w+\)|Defragment \S+|Disarm NOSPACE of \S+): ")]
    private static partial Regex RecoveryStep();
}
