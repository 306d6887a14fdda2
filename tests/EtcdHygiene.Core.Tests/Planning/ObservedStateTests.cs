using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using static EtcdHygiene.Core.Tests.Planning.Given;

namespace EtcdHygiene.Core.Tests.Planning;

/// <summary>
/// The state a cycle's first look (and <c>check</c>'s one look) plans from: bound to the cluster,
/// an unfinished defragmentation seen over, prevention allowed again. check once skipped the last
/// two and planned from another state than the cycle that followed.
/// </summary>
public sealed class ObservedStateTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static ClusterSnapshot At(ClusterSnapshot snapshot) => snapshot with { ObservedAt = Noon };

    [Fact]
    public void AnUnfinishedDefragmentation_IsOver_OnceItsMemberAnswers()
    {
        var state = new HygieneState { UnfinishedDefrag = new DefragStart("2", "m2", Noon.AddMinutes(-3)) };

        var answered = ObservedState.AtFirstLook(PolicyWith(), state, At(Three()), out _);
        var silent = ObservedState.AtFirstLook(PolicyWith(), state, At(Three().Replace(Unreachable(Member(2, 1)))), out _);

        Assert.Equal(Noon, answered.UnfinishedDefrag!.SeenOverAt);
        Assert.Null(silent.UnfinishedDefrag!.SeenOverAt); // control: still busy, not over
    }

    [Fact]
    public void Prevention_MayTryAgain_OnceEveryMemberIsBelowTheDisarmRatio()
    {
        var state = new HygieneState { PreventionGaveUpAt = Noon.AddMinutes(-10) };

        var below = ObservedState.AtFirstLook(PolicyWith(), state, At(Three(sizeMiB: 100, inUseMiB: 100)), out _);
        var above = ObservedState.AtFirstLook(PolicyWith(), state, At(Three(sizeMiB: 1900, inUseMiB: 1900)), out _);

        Assert.Null(below.PreventionGaveUpAt);
        Assert.Equal(Noon.AddMinutes(-10), above.PreventionGaveUpAt); // control: still above 80 % of 2 GiB
    }

    [Fact]
    public void AnotherClustersState_IsDropped_WithANoteSayingWhy_ThenSampled()
    {
        var state = new HygieneState { ClusterId = "abc", Samples = [new RevisionSample(Noon.AddMinutes(-30), 5000)] };
        var other = At(Three().WithRevision(7000)) is var s
            ? s with { Members = s.Members.Select(m => m with { Status = m.Status! with { ClusterId = 0xdef } }).ToList() }
            : throw new InvalidOperationException();

        var bound = ObservedState.AtFirstLook(PolicyWith(), state, other, out var dropped);

        Assert.Equal(NoteCode.KeptStateDropped, dropped!.Code);
        Assert.Contains("cluster abc", dropped.Message);
        Assert.Equal("def", bound.ClusterId);
        Assert.Equal([new RevisionSample(Noon, 7000)], bound.Samples);
    }
}
