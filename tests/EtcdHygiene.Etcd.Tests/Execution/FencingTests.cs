using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Testing.Etcd;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Etcd.Tests.Execution;

/// <summary>
/// Safety rule 9's fence, on real etcd: right before each mutating request — after the hooks and
/// the progress save — the cycle asks whether this process is still entitled to act; when it is
/// not, or when the save before a defragmentation failed, nothing reaches etcd. etcd's own log is
/// the witness, and the same cycle with the right held is the control that the log shows a defragmentation.
/// </summary>
public sealed class FencingTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task WithTheRightToAct_TheDefragmentationReachesEtcd()
    {
        var (cluster, result) = await RunOnAFragmentedClusterAsync(new Lanes(notEntitled: null), new CycleHooks());
        await using (cluster)
        {
            Assert.Contains(result.Steps, s => s.Step.Kind == StepKind.Defragment && s.Result == StepResult.Succeeded);
            Assert.NotEmpty(new MaintenanceAudit(cluster).Defragmentations);
        }
    }

    [Fact]
    public async Task TheRightToActLost_NothingReachesEtcd_AndTheCycleSaysWhy()
    {
        var (cluster, result) = await RunOnAFragmentedClusterAsync(new Lanes(notEntitled: "the Lease was not renewed in time"), new CycleHooks());
        await using (cluster)
        {
            Assert.Empty(result.Steps);
            Assert.True(result.Interrupted);
            var note = Assert.Single(result.Notes, n => n.Code == NoteCode.ActingRightLost);
            Assert.Contains("the Lease was not renewed in time", note.Message);
            Assert.Empty(new MaintenanceAudit(cluster).Defragmentations);
        }
    }

    [Fact]
    public async Task ASaveThatFailsBeforeADefragmentation_StopsTheCycle_BeforeEtcdSeesIt()
    {
        var hooks = new CycleHooks { SaveProgress = _ => throw new IOException("disk full") };
        var (cluster, result) = await RunOnAFragmentedClusterAsync(new Lanes(notEntitled: null), hooks);
        await using (cluster)
        {
            Assert.DoesNotContain(result.Steps, s => s.Step.Kind == StepKind.Defragment);
            Assert.Contains(result.Notes, n => n.Code == NoteCode.ProgressNotSaved && n.Message.Contains("disk full"));
            Assert.Empty(new MaintenanceAudit(cluster).Defragmentations);
        }
    }

    private static async Task<(EtcdTestCluster, CycleResult)> RunOnAFragmentedClusterAsync(IMaintenanceLanes lanes, CycleHooks hooks)
    {
        var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAndCompactAsync(cluster.CreateClient(), 4);
        var policy = new HygienePolicy
        {
            Key = new PolicyKey("test", "fenced"),
            Etcd = new EtcdSettings { Endpoints = cluster.ClientUrls, RequestTimeout = TimeSpan.FromSeconds(3), DefragTimeout = TimeSpan.FromSeconds(30) },
            Compaction = new CompactionSettings(),
            Defragmentation = new DefragmentationSettings { MinFragmentationRatio = 0.1, MinDbSizeBytes = 1 * MiB, MinReclaimableBytes = MiB / 2, PauseBetweenMembers = TimeSpan.Zero },
            Alarms = new AlarmSettings(),
            Analysis = new AnalysisSettings(),
        };
        await using var etcd = new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls, RequestTimeout = TimeSpan.FromSeconds(3), DefragTimeout = TimeSpan.FromSeconds(30) });
        var result = await new HygieneCycle(etcd, TimeProvider.System, NullLogger.Instance, lanes).RunAsync(policy, new HygieneState(), CancellationToken.None, hooks);
        return (cluster, result);
    }

    /// <summary>Lanes that always grant the turn, and say the right to act is lost when told to.</summary>
    private sealed class Lanes(string? notEntitled) : IMaintenanceLanes
    {
        private long _changes;

        public long Changes(ulong clusterId) => Interlocked.Read(ref _changes);

        public DateTimeOffset? LastDefragmentation(ulong clusterId) => null;

        public Task QueueAsync(ulong clusterId, HygienePolicy policy, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<IMaintenanceTurn> EnterAsync(ulong clusterId, HygienePolicy policy, bool urgent, CancellationToken cancellationToken) =>
            Task.FromResult<IMaintenanceTurn>(new Turn(this, notEntitled));

        private sealed class Turn(Lanes lanes, string? notEntitled) : IMaintenanceTurn
        {
            public string? Refused => null;

            public string? Warning => null;

            public long Changes { get; } = lanes.Changes(0);

            public string? WhyNotEntitled() => notEntitled;

            public long Acted(HygieneStep step, DateTimeOffset endedAt) => Interlocked.Increment(ref lanes._changes);

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
