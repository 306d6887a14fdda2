using EtcdHygiene.Core.Planning;

namespace EtcdHygiene.Core.Tests.Planning;

/// <summary>How a cycle's steps and its end change the kept state.</summary>
public sealed class KeptHistoryTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static readonly HygieneStep Defragment = new() { Kind = StepKind.Defragment, Reason = "fragmented", MemberId = 0xab, MemberName = "m2" };

    [Fact]
    public void ADefragmentation_IsRecordedUnfinishedBeforeItIsSent_AndFinishedAfter()
    {
        var progress = new CycleProgress();

        var before = KeptHistory.BeforeDefragmentation(new HygieneState(), Defragment, Noon);
        var after = KeptHistory.AfterStep(before, Defragment, progress, Noon.AddSeconds(3));

        Assert.Equal(("ab", "m2", Noon), (before.UnfinishedDefrag?.MemberId, before.UnfinishedDefrag?.MemberName, before.UnfinishedDefrag?.StartedAt));
        Assert.Null(after.UnfinishedDefrag);
        Assert.Equal(Noon.AddSeconds(3), after.LastDefragTimes["ab"]);
        Assert.Contains(0xabUL, progress.DefraggedThisCycle);
    }

    [Fact]
    public void ACompaction_IsRecorded_AndEveryMemberMayHavePagesToGiveBackAgain()
    {
        var progress = new CycleProgress();
        KeptHistory.AfterStep(new HygieneState(), Defragment, progress, Noon);
        var compact = new HygieneStep { Kind = StepKind.Compact, Reason = "retention", Revision = 42, Compaction = CompactionKind.Retention };

        var state = KeptHistory.AfterStep(new HygieneState(), compact, progress, Noon);

        Assert.Equal((42L, Noon), (state.LastCompactedRevision, state.LastCompactionTime));
        Assert.Empty(progress.DefraggedSinceCompaction);
        Assert.True(progress.Compacted);
    }

    [Fact]
    public void PreventionGivesUp_OnlyWhenItsWarningWasGiven_AndAReclaimIsKeptOnlyWhenSomethingWasDefragmented()
    {
        var warned = KeptHistory.AtCycleEnd(new HygieneState(), [PlanNote.Warning(NoteCode.LiveDataFillsQuota, "full")], null, Noon);
        var told = KeptHistory.AtCycleEnd(new HygieneState(), [new PlanNote(NoteCode.LiveDataFillsQuota, "full")], null, Noon);
        var defragmented = KeptHistory.AtCycleEnd(new HygieneState { LastDefragReclaimedBytes = 7 }, [], 0, Noon);
        var not = KeptHistory.AtCycleEnd(new HygieneState { LastDefragReclaimedBytes = 7 }, [], null, Noon);

        Assert.Equal(Noon, warned.PreventionGaveUpAt);
        Assert.Null(told.PreventionGaveUpAt);
        Assert.Equal(0, defragmented.LastDefragReclaimedBytes);
        Assert.Equal(7, not.LastDefragReclaimedBytes);
    }

    [Fact]
    public void ADefragmentationLongerThanEtcdsRequestTimeout_IsWarnedAbout_NamingTheMember()
    {
        var slow = SlowDefragmentation.Note(Defragment, TimeSpan.FromSeconds(7.5));

        Assert.Equal(NoteSeverity.Warning, slow?.Severity);
        Assert.Contains("m2 took 7.5s", slow?.Message);
        Assert.Null(SlowDefragmentation.Note(Defragment, TimeSpan.FromSeconds(6.9)));
        Assert.Null(SlowDefragmentation.Note(Defragment with { Kind = StepKind.MoveLeader }, TimeSpan.FromSeconds(30)));
    }
}
