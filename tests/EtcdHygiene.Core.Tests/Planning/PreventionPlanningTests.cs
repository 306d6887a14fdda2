using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Core.Watching;
using Microsoft.Extensions.Time.Testing;
using static EtcdHygiene.Core.Tests.Planning.Given;

namespace EtcdHygiene.Core.Tests.Planning;

/// <summary>
/// Prevention: a member at the high-water mark (spec.alarms.preemptAboveQuotaRatio), or growing
/// fast enough to pass it before the watch looks again, is treated as at NOSPACE before etcd says
/// so — and when the live data itself fills the quota, it says so once and stops trying.
/// </summary>
public sealed class PreventionPlanningTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Noon);

    /// <summary>Three members of a 24 MiB cluster, no alarm, history younger than the retention.</summary>
    private static ClusterSnapshot Filling(long sizeMiB, long inUseMiB) =>
        Cluster(Member(1, 1, sizeMiB, inUseMiB, 24), Member(2, 1, sizeMiB, inUseMiB, 24), Member(3, 1, sizeMiB, inUseMiB, 24)).WithRevision(9000, compacted: 1000);

    private HygienePlan Plan(ClusterSnapshot snapshot, CycleProgress? progress = null, HygieneState? state = null, Func<HygienePolicy, HygienePolicy>? policy = null) =>
        HygienePlanner.Plan(PolicyWith(policy), snapshot, state ?? new HygieneState(), progress ?? new CycleProgress(), _time);

    [Fact]
    public void AtTheHighWaterMark_ActsAsAtNoSpace_WithAWarning_AndEscalatesWhenTheRetentionAllowsNothing()
    {
        var plan = Plan(Filling(sizeMiB: 23, inUseMiB: 23));

        Assert.True(plan.Urgent);
        Assert.True(plan.Preempting);
        var note = Assert.Single(plan.Notes, n => n.Code == NoteCode.Preempting);
        Assert.Equal(NoteSeverity.Warning, note.Severity);
        Assert.Contains("m1 is at 96% of its quota", note.Message);
        // Nothing is older than the retention and nothing is reclaimable: only the escalation helps.
        var step = Assert.Single(plan.Steps);
        Assert.Equal((StepKind.Compact, CompactionKind.Emergency, 9000L), (step.Kind, step.Compaction!.Value, step.Revision!.Value));
        // Safety rule 1: compacting inside the retention window is only ever the announced escalation.
        Assert.True(step.IsWarning);
        Assert.Contains("spec.alarms.emergencyCompaction: Latest", step.Reason);
        Assert.DoesNotContain(plan.Notes, n => n.Code == NoteCode.NoSpaceAlarm);
    }

    [Fact]
    public void BelowTheMark_IsRoutine()
    {
        var plan = Plan(Filling(sizeMiB: 22, inUseMiB: 22));

        Assert.False(plan.Urgent);
        Assert.DoesNotContain(plan.Notes, n => n.Code == NoteCode.Preempting);
    }

    [Fact]
    public void GrowingFastEnoughToPassTheMark_BeforeTheNextLook_IsPrevented()
    {
        var outlook = new GrowthOutlook(new Dictionary<ulong, long> { [1] = 4 * MiB });

        var plan = Plan(Filling(sizeMiB: 20, inUseMiB: 20), new CycleProgress { Outlook = outlook });

        Assert.True(plan.Preempting);
        Assert.Contains("will grow by 4.0 MiB", Assert.Single(plan.Notes, n => n.Code == NoteCode.Preempting).Message);
        Assert.Equal(CompactionKind.Emergency, Assert.Single(plan.Steps).Compaction);
    }

    [Fact]
    public void Prevention_DefragmentsWhatTheCompactionFreed_AndNeverDisarms()
    {
        var progress = new CycleProgress();
        progress.RecordPreemption();
        progress.RecordCompaction(CompactionKind.Emergency);

        var plan = Plan(Filling(sizeMiB: 23, inUseMiB: 2), progress);

        Assert.True(plan.Preempting);
        Assert.Equal([StepKind.Defragment, StepKind.Defragment, StepKind.Defragment], plan.Steps.Select(s => s.Kind));
        Assert.DoesNotContain(plan.Steps, s => s.Kind == StepKind.DisarmNoSpace);
    }

    [Fact]
    public void WhenTheLiveDataFillsTheQuota_ItSaysSoOnce_WhatToDo_AndDoesNotTryAgain()
    {
        var progress = new CycleProgress();
        progress.RecordPreemption();
        progress.RecordCompaction(CompactionKind.Emergency);
        foreach (var id in new ulong[] { 1, 2, 3 })
        {
            progress.RecordDefragmentation(id);
        }
        var full = Filling(sizeMiB: 23, inUseMiB: 23) with { };

        var plan = Plan(full.WithRevision(9000, compacted: 9000), progress);

        Assert.Empty(plan.Steps);
        var gaveUp = Assert.Single(plan.Notes, n => n.Code == NoteCode.LiveDataFillsQuota);
        Assert.Equal(NoteSeverity.Warning, gaveUp.Severity);
        Assert.Contains("Raise --quota-backend-bytes or delete data", gaveUp.Message);

        // The next cycle, with the give-up kept: no steps, and an Info note rather than a new warning.
        var next = Plan(full, state: new HygieneState { PreventionGaveUpAt = Noon });
        Assert.False(next.Preempting);
        Assert.DoesNotContain(next.Steps, s => s.Compaction == CompactionKind.Emergency);
        Assert.Equal(NoteSeverity.Info, Assert.Single(next.Notes, n => n.Code == NoteCode.LiveDataFillsQuota).Severity);
    }

    [Fact]
    public void ZeroTurnsPreventionOff()
    {
        var plan = Plan(Filling(sizeMiB: 23, inUseMiB: 23), policy: p => p with { Alarms = p.Alarms with { PreemptAboveQuotaRatio = 0 } });

        Assert.False(plan.Preempting);
        Assert.DoesNotContain(plan.Steps, s => s.Compaction == CompactionKind.Emergency);
    }

    [Fact]
    public void AtNoSpace_EveryAlarmIsDisarmedInOneStep()
    {
        var snapshot = Filling(sizeMiB: 12, inUseMiB: 12).WithNoSpace(1).WithNoSpace(3);
        var progress = new CycleProgress();
        progress.RecordCompaction(CompactionKind.Retention);
        foreach (var id in new ulong[] { 1, 2, 3 })
        {
            progress.RecordDefragmentation(id);
        }

        var step = Assert.Single(Plan(snapshot, progress, new HygieneState { Samples = [new RevisionSample(Noon.AddHours(-2), 100)] }).Steps);

        Assert.Equal(StepKind.DisarmNoSpace, step.Kind);
        Assert.Equal([1UL, 3UL], step.MemberIds);
        Assert.Equal("Disarm NOSPACE of m1, m3", step.Title);
    }
}
