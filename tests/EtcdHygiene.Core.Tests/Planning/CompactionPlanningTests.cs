using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using Microsoft.Extensions.Time.Testing;
using static EtcdHygiene.Core.Tests.Planning.Given;

namespace EtcdHygiene.Core.Tests.Planning;

public sealed class CompactionPlanningTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Noon);

    private HygienePlan Plan(EtcdHygiene.Core.Observation.ClusterSnapshot snapshot, HygieneState state, Func<HygienePolicy, HygienePolicy>? policy = null) =>
        HygienePlanner.Plan(PolicyWith(policy), snapshot, state, new CycleProgress(), _time);

    private static HygieneState Samples(params (int MinutesAgo, long Revision)[] samples) => new()
    {
        Samples = samples.Select(s => new RevisionSample(Noon.AddMinutes(-s.MinutesAgo), s.Revision)).ToList(),
    };

    [Fact]
    public void Periodic_CompactsToTheNewestSampleOutsideTheWindow_NeverPastIt()
    {
        var state = Samples((70, 1000), (61, 1500), (59, 2000), (30, 5000));

        var step = Assert.Single(Plan(Three().WithRevision(9000), state).Steps);

        Assert.Equal(StepKind.Compact, step.Kind);
        Assert.Equal(CompactionKind.Retention, step.Compaction);
        // 1500 was current 61 minutes ago; 2000 (59 minutes ago) is inside the 1h window and stays.
        Assert.Equal(1500, step.Revision);
        Assert.Contains("keep 1h of history", step.Reason);
    }

    [Fact]
    public void Periodic_WithOnlyYoungSamples_WaitsAndSaysSince()
    {
        var plan = Plan(Three().WithRevision(9000), Samples((59, 2000), (30, 5000)));

        Assert.Empty(plan.Steps);
        Assert.Contains("younger than the retention of 1h", Assert.Single(plan.Notes, n => n.Code == NoteCode.HistoryWithinRetention).Message);
    }

    [Fact]
    public void AtMostOneCompactionPerInterval()
    {
        var state = Samples((70, 1000)) with { LastCompactionTime = Noon.AddMinutes(-3), LastCompactedRevision = 900 };

        var plan = Plan(Three().WithRevision(9000), state);

        Assert.Empty(plan.Steps);
        Assert.Contains("12:02:00", Assert.Single(plan.Notes, n => n.Code == NoteCode.CompactionNotDue).Message);
    }

    [Fact]
    public void NothingNewToCompact_WhenEtcdIsAlreadyCompactedPastTheTarget()
    {
        // Someone (etcd's own compactor, the API server) compacted further already.
        var plan = Plan(Three().WithRevision(9000, compacted: 1200), Samples((70, 1000)));

        Assert.Empty(plan.Steps);
        Assert.Contains(plan.Notes, n => n.Code == NoteCode.NothingToCompact && n.Message.Contains("1200"));
    }

    [Fact]
    public void AfterARestart_KeptSamplesCompactOnTime_AtTheWindowsEdge()
    {
        // The process restarted at 11:55: the samples it kept (state file or status) still say
        // what the revision was an hour ago, so compaction neither waits a whole retention nor guesses.
        var kept = Samples((75, 1000), (65, 1800), (50, 3000)) with { LastCompactionTime = Noon.AddMinutes(-20), LastCompactedRevision = 400 };
        var afterRestart = kept.WithSample(Noon, 9000, TimeSpan.FromHours(1));

        var step = Assert.Single(Plan(Three().WithRevision(9000, compacted: 400), afterRestart).Steps);

        Assert.Equal(1800, step.Revision);
    }

    [Fact]
    public void RevisionMode_KeepsTheLastNRevisions()
    {
        var step = Assert.Single(Plan(Three().WithRevision(25_000, compacted: 10_000), new HygieneState(),
            p => p with { Compaction = p.Compaction with { Mode = CompactionMode.Revision, RetainRevisions = 10_000 } }).Steps);

        Assert.Equal(15_000, step.Revision);
        Assert.Equal(CompactionKind.Revisions, step.Compaction);
    }

    [Fact]
    public void Disabled_NeverCompacts()
    {
        var plan = Plan(Three().WithRevision(25_000), Samples((300, 10)),
            p => p with { Compaction = p.Compaction with { Mode = CompactionMode.Disabled } });

        Assert.Empty(plan.Steps);
    }

    [Fact]
    public void Samples_AreSpacedByATenthOfTheRetention_AndPrunedToTheNewestOutsideTheWindow()
    {
        var retention = TimeSpan.FromHours(1);
        var state = new HygieneState();
        for (var minute = 0; minute <= 180; minute++)
        {
            state = state.WithSample(Noon.AddMinutes(minute), 100 + minute, retention);
        }

        var now = Noon.AddMinutes(180);
        Assert.All(state.Samples.Zip(state.Samples.Skip(1)), pair => Assert.True(pair.Second.At - pair.First.At >= retention / 10));
        Assert.Single(state.Samples, s => s.At <= now - retention);
        Assert.True(state.Samples.Count <= 12);
    }

    [Fact]
    public void Samples_FromAHigherRevision_AreDropped_WhenEtcdWasRestoredOrReplaced()
    {
        var state = Samples((70, 50_000)).WithSample(Noon, 300, TimeSpan.FromHours(1));

        Assert.Equal([300L], state.Samples.Select(s => s.Revision));
    }
}
