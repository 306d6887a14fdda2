using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using Microsoft.Extensions.Time.Testing;
using static EtcdHygiene.Core.Tests.Planning.Given;

namespace EtcdHygiene.Core.Tests.Planning;

/// <summary>The recovery sequence: compact to the window, defragment everyone, disarm when safe, escalate when allowed.</summary>
public sealed class NoSpacePlanningTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Noon);
    private static readonly HygieneState HourOldSample = new() { Samples = [new RevisionSample(Noon.AddMinutes(-61), 4000)] };

    /// <summary>Three members of a 24 MiB cluster at the quota.</summary>
    private static EtcdHygiene.Core.Observation.ClusterSnapshot Full(long sizeMiB = 24, long inUseMiB = 23) =>
        Cluster(Member(1, 1, sizeMiB, inUseMiB, 24), Member(2, 1, sizeMiB, inUseMiB, 24), Member(3, 1, sizeMiB, inUseMiB, 24))
            .WithRevision(9000, compacted: 1000).WithNoSpace(2);

    private HygienePlan Plan(EtcdHygiene.Core.Observation.ClusterSnapshot snapshot, CycleProgress progress, HygieneState? state = null, Func<HygienePolicy, HygienePolicy>? policy = null) =>
        HygienePlanner.Plan(PolicyWith(policy), snapshot, state ?? HourOldSample, progress, _time);

    private static CycleProgress DefraggedAll(CompactionKind? after = null)
    {
        var progress = new CycleProgress();
        if (after is { } kind)
        {
            progress.RecordCompaction(kind);
        }
        foreach (var id in new ulong[] { 1, 2, 3 })
        {
            progress.RecordDefragmentation(id);
        }
        return progress;
    }

    [Fact]
    public void First_CompactsToTheRetentionWindow_EvenBeforeTheInterval()
    {
        var state = HourOldSample with { LastCompactionTime = Noon.AddMinutes(-1), LastCompactedRevision = 1000 };

        var plan = Plan(Full(), new CycleProgress(), state);

        var step = Assert.Single(plan.Steps);
        Assert.Equal((StepKind.Compact, 4000L, CompactionKind.Retention), (step.Kind, step.Revision!.Value, step.Compaction!.Value));
        Assert.Contains("NOSPACE recovery", step.Reason);
        Assert.Contains(plan.Notes, n => n.Code == NoteCode.NoSpaceAlarm && n.Severity == NoteSeverity.Warning && n.Message.Contains("m2"));
    }

    [Fact]
    public void Then_DefragmentsEveryVotingMember_LeaderLast()
    {
        var progress = new CycleProgress();
        progress.RecordCompaction(CompactionKind.Retention);

        var plan = Plan(Full(sizeMiB: 24, inUseMiB: 6), progress);

        Assert.Equal(["Defragment m2", "Defragment m3", "Defragment m1"], plan.Steps.Select(s => s.Title));
    }

    [Fact]
    public void MembersWithNothingToGiveBack_AreNotDefragmented_SoTheEscalationComesAtOnce()
    {
        // Cold start at NOSPACE: no sample an hour old, nothing fragmented. Defragmenting would
        // only stop the world three times; the emergency compaction is what frees pages.
        var plan = Plan(Full(sizeMiB: 24, inUseMiB: 24), new CycleProgress(), new HygieneState());

        var step = Assert.Single(plan.Steps);
        Assert.Equal(CompactionKind.Emergency, step.Compaction);
        Assert.Contains(plan.Notes, n => n.Code == NoteCode.HistoryWithinRetention);
    }

    [Fact]
    public void Then_DisarmsOnceEveryMemberIsBelowTheRatio()
    {
        var plan = Plan(Full(sizeMiB: 12, inUseMiB: 12), DefraggedAll(CompactionKind.Retention));

        var disarm = Assert.Single(plan.Steps);
        Assert.Equal(StepKind.DisarmNoSpace, disarm.Kind);
        Assert.Equal([2UL], disarm.MemberIds);
        Assert.Contains("below 80%", disarm.Reason);
    }

    [Fact]
    public void WhenRetentionIsNotEnough_AndLatestIsAllowed_CompactsToTheCurrentRevisionWithAWarning()
    {
        var plan = Plan(Full(sizeMiB: 22, inUseMiB: 22), DefraggedAll(CompactionKind.Retention));

        var step = Assert.Single(plan.Steps);
        Assert.Equal((StepKind.Compact, 9000L, CompactionKind.Emergency), (step.Kind, step.Revision!.Value, step.Compaction!.Value));
        Assert.True(step.IsWarning);
        Assert.Contains("emergencyCompaction: Latest", step.Reason);
    }

    [Fact]
    public void AfterTheEmergencyCompaction_DefragmentsEveryoneAgain()
    {
        var progress = DefraggedAll(CompactionKind.Retention);
        progress.RecordCompaction(CompactionKind.Emergency);

        var plan = Plan(Full(sizeMiB: 22, inUseMiB: 2), progress);

        Assert.Equal(3, plan.Steps.Count(s => s.Kind == StepKind.Defragment));
    }

    [Fact]
    public void RetentionOnly_NeverCompactsPastTheWindow_AndSaysWhatAPersonCanDo()
    {
        var plan = Plan(Full(sizeMiB: 22, inUseMiB: 22), DefraggedAll(CompactionKind.Retention),
            policy: p => p with { Alarms = p.Alarms with { EmergencyCompaction = EmergencyCompaction.RetentionOnly } });

        Assert.Empty(plan.Steps);
        var note = Assert.Single(plan.Notes, n => n.Code == NoteCode.NoSpacePersists);
        Assert.Contains("RetentionOnly", note.Message);
        Assert.Contains("quota-backend-bytes", note.Message);
    }

    [Fact]
    public void AfterTheEmergency_LiveDataStillTooLarge_IsReported_NotLooped()
    {
        var progress = DefraggedAll(CompactionKind.Retention);
        progress.RecordCompaction(CompactionKind.Emergency);
        foreach (var id in new ulong[] { 1, 2, 3 })
        {
            progress.RecordDefragmentation(id);
        }

        var plan = Plan(Full(sizeMiB: 22, inUseMiB: 22), progress);

        Assert.Empty(plan.Steps);
        Assert.Contains("live data is too large", Assert.Single(plan.Notes, n => n.Code == NoteCode.NoSpacePersists).Message);
    }

    [Theory]
    [InlineData(-1, true)]
    [InlineData(0, false)]
    [InlineData(1, false)]
    public void TheDisarmRatio_IsAStrictBound(long bytesFromTheRatio, bool disarmed)
    {
        // 20 MiB of a 25 MiB quota is exactly the 0.8 ratio; one member a byte under, at or over it.
        var quota = 25L << 20;
        var atRatio = 20L << 20;
        var snapshot = Cluster(Member(1, 1, 10, 10, 25), Member(2, 1, 10, 10, 25), Member(3, 1, 10, 10, 25)).WithRevision(9000, compacted: 1000).WithNoSpace(2);
        var m2 = snapshot.Member(2)!;
        snapshot = snapshot.Replace(m2 with { Status = m2.Status! with { DbSizeBytes = atRatio + bytesFromTheRatio, DbSizeInUseBytes = atRatio + bytesFromTheRatio } });
        Assert.Equal(quota, snapshot.Member(2)!.QuotaBytes);

        var plan = Plan(snapshot, DefraggedAll(after: CompactionKind.Retention), policy: p => p with { Alarms = p.Alarms with { DisarmBelowQuotaRatio = 0.8 } });

        Assert.Equal(disarmed, plan.Steps.Any(s => s.Kind == StepKind.DisarmNoSpace));
    }

    [Fact]
    public void AlreadySmallEnough_IsDisarmedAtOnce()
    {
        var plan = Plan(Full(sizeMiB: 5, inUseMiB: 5), new CycleProgress());

        Assert.Equal(StepKind.DisarmNoSpace, Assert.Single(plan.Steps).Kind);
    }

    [Fact]
    public void DisarmNoSpaceFalse_LeavesTheAlarmToAPerson()
    {
        var plan = Plan(Full(sizeMiB: 5, inUseMiB: 5), new CycleProgress(), policy: p => p with { Alarms = p.Alarms with { DisarmNoSpace = false } });

        Assert.Empty(plan.Steps);
        Assert.Contains(plan.Notes, n => n.Code == NoteCode.DisarmDisabled);
    }

    [Fact]
    public void UnknownQuota_IsTakenFromThePolicy()
    {
        var snapshot = Full(sizeMiB: 5, inUseMiB: 5);
        snapshot = snapshot with { Members = snapshot.Members.Select(m => m with { QuotaBytes = null }).ToList() };

        var without = Plan(snapshot, new CycleProgress());
        var with = Plan(snapshot, new CycleProgress(), policy: p => p with { Etcd = p.Etcd with { QuotaBackendBytes = 24 * MiB } });

        Assert.DoesNotContain(without.Steps, s => s.Kind == StepKind.DisarmNoSpace);
        Assert.Contains(without.Notes, n => n.Code == NoteCode.QuotaUnknown && n.Message.Contains("spec.etcd.quotaBackendBytes"));
        Assert.Equal(StepKind.DisarmNoSpace, Assert.Single(with.Steps).Kind);
    }
}
