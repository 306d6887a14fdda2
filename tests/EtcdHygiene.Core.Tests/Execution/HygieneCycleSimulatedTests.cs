using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Testing.Simulation;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Core.Tests.Execution;

/// <summary>
/// The cycle over the simulated cluster, in simulated time: what the real-etcd tests of the cycle
/// show at the defaults, in milliseconds, and what no real clock can show (a wall clock stepped
/// back in the middle of a cycle).
/// </summary>
public sealed class HygieneCycleSimulatedTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private const long KiB = 1024;

    private readonly SimulationClock _clock = new(Start);

    private static HygienePolicy Defaults() => new()
    {
        Key = new PolicyKey("test", "simulated"),
        Etcd = new EtcdSettings { Endpoints = ["http://127.0.0.1:2379"] },
        Compaction = new CompactionSettings(),
        Defragmentation = new DefragmentationSettings(),
        Alarms = new AlarmSettings(),
        Analysis = new AnalysisSettings(),
    };

    private SimulatedEtcdCluster Cluster() => new(new SimulatedClusterOptions { Members = 3, Version = "3.5.16" }, _clock);

    /// <summary>Runs one cycle while <paramref name="world"/> runs beside it; <see cref="CycleTook"/> is then its length on the monotonic clock.</summary>
    private CycleResult Run(SimulatedEtcdCluster cluster, HygienePolicy policy, HygieneState state, CycleHooks? hooks = null, Func<Task>? world = null)
    {
        var connection = cluster.Connect("cycle", new EtcdConnectionOptions { Endpoints = policy.Etcd.Endpoints });
        CycleResult? result = null;
        new SimulationLoop(_clock).Run(async () =>
        {
            var worldRunning = world?.Invoke() ?? Task.CompletedTask;
            var began = _clock.Elapsed;
            result = await new HygieneCycle(connection, _clock, NullLogger.Instance).RunAsync(policy, state, CancellationToken.None, hooks);
            CycleTook = _clock.Elapsed - began;
            await worldRunning;
        }, limit: TimeSpan.FromHours(3));
        return result!;
    }

    private TimeSpan CycleTook { get; set; }

    /// <summary>What the kept state holds an hour on: a revision sample older than the retention (1h).</summary>
    private HygieneState AnHourOfHistory(SimulatedEtcdCluster cluster) =>
        new() { Samples = [new RevisionSample(_clock.GetUtcNow().AddMinutes(-61), cluster.Revision)] };

    [Fact]
    public void AtTheDefaults_ACycleCompactsAnHourBack_AndDefragmentsEveryMember_OneAtATime_LeaderLast_WithTheWholePauseBetween()
    {
        var cluster = Cluster();
        // About 120 MiB of history: 1,000 keys of 4 KiB rewritten 30 times.
        cluster.Write(newKeys: 1_000, rewrites: 0, valueBytes: 4 * KiB);
        for (var round = 0; round < 30; round++)
        {
            cluster.Write(newKeys: 0, rewrites: 1_000, valueBytes: 4 * KiB);
        }
        var leader = cluster.LeaderId;
        var policy = Defaults();

        var result = Run(cluster, policy, AnHourOfHistory(cluster));

        Assert.True(result.Succeeded, string.Join(" | ", result.Notes.Select(n => $"{n.Code}: {n.Message}")));
        var compaction = Assert.Single(cluster.Operations, o => o.Kind == SimulatedOperationKind.Compact);
        var defragmentations = cluster.Operations.Where(o => o.Kind == SimulatedOperationKind.Defragment).ToList();
        Assert.Equal(3, defragmentations.Count);
        Assert.True(compaction.Ended <= defragmentations[0].Started);
        Assert.Equal(leader, defragmentations[^1].MemberId);
        Assert.DoesNotContain(cluster.Operations, o => o.Kind == SimulatedOperationKind.MoveLeader);
        var gaps = defragmentations.Zip(defragmentations.Skip(1), (a, b) => b.Started - a.Ended).ToList();
        Assert.All(gaps, gap => Assert.True(gap >= policy.Defragmentation.PauseBetweenMembers, $"{gap} between two defragmentations"));
        // The cycle waited the pause, not more than a look longer.
        Assert.All(gaps, gap => Assert.True(gap < policy.Defragmentation.PauseBetweenMembers + TimeSpan.FromSeconds(1), $"{gap} between two defragmentations"));
    }

    [Fact]
    public void AtNoSpace_AMemberDownForTwoSecondsAfterItsDefragmentation_IsAskedAgain_AndTheRecoveryEndsWithoutThePause()
    {
        var cluster = new SimulatedEtcdCluster(new SimulatedClusterOptions { Members = 3, Version = "3.5.16", QuotaBackendBytes = 64 * KiB * KiB }, _clock);
        cluster.Write(newKeys: 200, rewrites: 0, valueBytes: 4 * KiB);
        while (cluster.Write(newKeys: 0, rewrites: 200, valueBytes: 4 * KiB))
        {
        }
        Assert.NotEmpty(cluster.Alarms);
        var stopped = false;
        // The first member defragmented stops just as its defragmentation ends, for 2 s: the plan
        // then may not go on until it answers a health read again.
        cluster.DefragmentationStarted = (member, took) =>
        {
            if (!stopped)
            {
                stopped = true;
                _ = StopAfterAsync(cluster, member, took + TimeSpan.FromMilliseconds(1));
            }
        };

        var result = Run(cluster, Defaults(), AnHourOfHistory(cluster));

        Assert.True(result.Succeeded, string.Join(" | ", result.Notes.Select(n => $"{n.Code}: {n.Message}")));
        Assert.Empty(cluster.Alarms);
        Assert.Contains(cluster.Operations, o => o.Kind == SimulatedOperationKind.DisarmNoSpace);
        Assert.Equal(3, cluster.Operations.Count(o => o.Kind == SimulatedOperationKind.Defragment));
        // Positive control: the member was really down when the cycle looked, so it had to ask again...
        Assert.Contains(result.Notes, n => n.Code == NoteCode.DefragBlocked);
        // ...and it waited for that member only: no 10 s pause at NOSPACE.
        Assert.True(CycleTook < TimeSpan.FromSeconds(2 + 5), $"the recovery took {CycleTook}");
    }

    private async Task StopAfterAsync(SimulatedEtcdCluster cluster, ulong member, TimeSpan after)
    {
        await Task.Delay(after, _clock);
        cluster.Stop(member);
        await Task.Delay(TimeSpan.FromSeconds(2), _clock);
        cluster.Start(member);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheWaitForACompactionToSettle_IsBoundedOnTheMonotonicClock_EvenWhenTheWallClockStepsBackAnHour(bool stepBack)
    {
        var cluster = Cluster();
        cluster.Write(newKeys: 2_000, rewrites: 0, valueBytes: 4 * KiB);
        var state = AnHourOfHistory(cluster);
        var writing = true;
        // A registry busy enough that the in-use size never holds still (1 % more every 50 ms, more
        // than the 1 % between two looks that counts as steady): the compaction never settles.
        async Task WriteAsync()
        {
            while (writing)
            {
                cluster.Write(newKeys: (int)(cluster.LogicalInUseBytes / 100 / (4 * KiB)) + 1, rewrites: 0, valueBytes: 4 * KiB);
                await Task.Delay(TimeSpan.FromMilliseconds(50), _clock);
            }
        }
        async Task WorldAsync()
        {
            var writer = WriteAsync();
            await Task.Delay(TimeSpan.FromSeconds(20), _clock);
            writing = false;
            await writer;
        }
        var hooks = new CycleHooks
        {
            BeforeStep = (step, seen) =>
            {
                if (step.Kind == StepKind.Compact && stepBack)
                {
                    _ = StepBackAsync();
                }
                return Task.CompletedTask;
            },
        };
        async Task StepBackAsync()
        {
            await Task.Delay(TimeSpan.FromSeconds(1), _clock);
            _clock.Jump(TimeSpan.FromHours(-1));
        }
        var result = Run(cluster, Defaults(), state, hooks, WorldAsync);

        Assert.Single(result.Steps, s => s.Step.Kind == StepKind.Compact);
        var cycle = CycleTook;
        // Positive control: the settle wait ran to its timeout, it never settled...
        Assert.True(cycle >= CompactionSettle.Timeout, $"the cycle took {cycle}");
        // ...and a wall clock stepped back an hour did not stretch it (on the wall clock, the cycle
        // waited until the writer stopped, 20 s on).
        Assert.True(cycle < CompactionSettle.Timeout + TimeSpan.FromSeconds(5), $"the cycle took {cycle}");
    }
}
