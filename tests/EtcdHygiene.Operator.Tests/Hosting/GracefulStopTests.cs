using System.Text.RegularExpressions;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Operator.Tests.Hosting;

/// <summary>
/// SIGTERM, as systemd and Kubernetes send it, through the generic host: a defragmentation in
/// flight is never cut in half — the process waits for it, up to the grace period, then exits 0;
/// a second SIGTERM, or the end of the grace period, exits at once. The defragmentation is held
/// in flight by SIGSTOPping its member the moment the step starts.
/// </summary>
public sealed partial class GracefulStopTests
{
    [Fact]
    public async Task Run_SigtermDuringADefragmentation_WaitsForTheStep_ThenExits0()
    {
        await using var held = await HeldDefragmentation.StartAsync(["run"]);

        await AssertStopWaitsForTheStepAsync(held);
    }

    [Fact]
    public async Task Operator_SigtermDuringADefragmentation_WaitsForTheStep_ThenExits0()
    {
        await using var kube = await OperatorFixture.StartAsync();
        var kubeconfig = kube.WriteKubeconfig();
        try
        {
            await using var held = await HeldDefragmentation.StartAsync(
                ["operator", "--kubeconfig", kubeconfig, "--tenancy-config", kube.TenancyConfig(), "--metrics-bind-address", "0", "--health-probe-bind-address", "0"], kube);

            await AssertStopWaitsForTheStepAsync(held);
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    [Fact]
    public async Task ASecondSigterm_ExitsAtOnce_WithoutWaitingForTheStep()
    {
        await using var held = await HeldDefragmentation.StartAsync(["run"]);

        held.Hygiene.Terminate();
        await held.Hygiene.WaitForTextAsync("waiting up to 5m for the one in flight", TimeSpan.FromSeconds(10));
        held.Hygiene.Terminate();

        // 128 + SIGTERM, as a shell reports a process a signal ended; the member is still stopped.
        Assert.Equal(143, await held.Hygiene.WaitForExitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(held.Member.IsPaused);
        Assert.Contains("Second stop signal: exiting at once", held.Hygiene.Errors);
    }

    [Fact]
    public async Task TheEndOfTheGracePeriod_ExitsAtOnce_AndSaysAStepWasCut()
    {
        await using var held = await HeldDefragmentation.StartAsync(["run", "--shutdown-grace-period", "2s"]);

        held.Hygiene.Terminate();
        var exit = await held.Hygiene.WaitForExitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, exit);
        Assert.True(held.Member.IsPaused);
        Assert.Contains("A step was still running after the grace period; exiting anyway", held.Hygiene.Errors);
    }

    /// <summary>SIGTERM while the defragmentation is held: the process waits; once the member answers, the step ends and the process exits 0.</summary>
    private static async Task AssertStopWaitsForTheStepAsync(HeldDefragmentation held)
    {
        held.Hygiene.Terminate();
        await held.Hygiene.WaitForTextAsync(StopWaiting, TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(held.Hygiene.HasExited, "exited while its defragmentation was in flight");

        held.Member.Resume();
        Assert.Equal(0, await held.Hygiene.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var log = held.Hygiene.Errors;
        Assert.Matches($@": Defragment {held.Member.Name} done in ", log);
        // No new step started after the stop: the one in flight was the last. (A member's
        // defragmentation may have finished before the hold could catch it; then the next
        // member's was held, and two started before the stop.)
        var stop = log.IndexOf(StopWaiting, StringComparison.Ordinal);
        Assert.True(stop >= 0, log);
        Assert.Equal(held.Member.Name, DefragStarted().Matches(log[..stop]).Last().Groups["member"].Value);
        Assert.DoesNotMatch(DefragStarted(), log[stop..]);
    }

    private const string StopWaiting = "waiting up to 5m for the one in flight";

    [GeneratedRegex(@": Defragment (?<member>\S+): ")]
    private static partial Regex DefragStarted();

    /// <summary>
    /// A fragmented 3-member cluster and etcd-hygiene defragmenting it, a defragmentation held in
    /// flight: the member was SIGSTOPped the moment the step was logged (<see cref="EndToEnd.DefragmentationHold"/>).
    /// </summary>
    private sealed class HeldDefragmentation : IAsyncDisposable
    {
        private readonly EtcdTestCluster _cluster;
        private readonly PolicyFolder _folder;
        private readonly CancellationTokenSource _stopWriting;
        private readonly Task _writing;

        private HeldDefragmentation(EtcdTestCluster cluster, PolicyFolder folder, CancellationTokenSource stopWriting, Task writing, CliProcess hygiene, EtcdTestMember member)
        {
            (_cluster, _folder, _stopWriting, _writing, Hygiene, Member) = (cluster, folder, stopWriting, writing, hygiene, member);
        }

        public CliProcess Hygiene { get; }

        public EtcdTestMember Member { get; }

        public static async Task<HeldDefragmentation> StartAsync(string[] command, OperatorFixture? kube = null)
        {
            var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
            var folder = new PolicyFolder();
            await EtcdData.FragmentAsync(cluster.CreateClient());
            // Registries keep writing; etcd shows the pages a compaction freed only after later writes.
            var stopWriting = new CancellationTokenSource();
            var writing = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions
            {
                Services = 2, NodesPerService = 2, Writers = 1, ReRegisterInterval = TimeSpan.FromMilliseconds(50), Prefix = "/live/",
            }).RunAsync(stopWriting.Token);
            // Compact almost everything at once, then defragment what it frees.
            string[] arguments;
            if (kube is null)
            {
                var policy = folder.Write("held", cluster.ClientUrls, """
                      compaction: { mode: Revision, retainRevisions: 10 }
                      defragmentation: { rule: { minFragmentationRatio: 0.2, minDbSizeBytes: 1Mi, minReclaimableBytes: 512Ki } }
                    """, defragTimeout: "2m");
                arguments = [.. command, "--policy", policy, "--state-dir", folder.StateDirectory];
            }
            else
            {
                kube.ApplyPolicy("held", cluster.ClientUrls, System.Text.Json.Nodes.JsonNode.Parse("""
                    { "compaction": { "mode": "Revision", "retainRevisions": 10 },
                      "defragmentation": { "rule": { "minFragmentationRatio": 0.2, "minDbSizeBytes": "1Mi", "minReclaimableBytes": "512Ki" } } }
                    """)!.AsObject());
                arguments = command;
            }
            var hygiene = CliProcess.Start(arguments);
            var hold = new EndToEnd.DefragmentationHold(hygiene, cluster);
            try
            {
                return new HeldDefragmentation(cluster, folder, stopWriting, writing, hygiene, await hold.HeldAsync(TimeSpan.FromSeconds(60), () => hygiene.Errors));
            }
            catch (TimeoutException)
            {
                hold.Member?.Resume();
                await stopWriting.CancelAsync();
                await writing;
                await hygiene.DisposeAsync();
                await cluster.DisposeAsync();
                folder.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Member.IsPaused)
            {
                Member.Resume();
            }
            await _stopWriting.CancelAsync();
            await _writing;
            await Hygiene.DisposeAsync();
            await _cluster.DisposeAsync();
            _folder.Dispose();
        }
    }
}
