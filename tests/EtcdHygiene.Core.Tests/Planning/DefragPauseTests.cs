using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using Microsoft.Extensions.Time.Testing;
using static EtcdHygiene.Core.Tests.Planning.Given;

namespace EtcdHygiene.Core.Tests.Planning;

/// <summary>The arithmetic of pauseBetweenMembers on a fake clock (safety rule 2).</summary>
public sealed class DefragPauseTests
{
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

    private DateTimeOffset Now => _time.GetUtcNow();

    [Fact]
    public void NothingDefragmentedYet_NoPause()
    {
        Assert.Null(DefragPause.Left(Pause, new HygieneState(), Now));
    }

    [Fact]
    public void AfterAFinishedDefragmentation_ThePauseRunsFromItsEnd()
    {
        var state = new HygieneState { LastDefragTime = Now };

        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(7), DefragPause.Left(Pause, state, Now));
        _time.Advance(TimeSpan.FromSeconds(7));
        Assert.Null(DefragPause.Left(Pause, state, Now));
    }

    [Fact]
    public void AZeroPause_NeverWaits()
    {
        Assert.Null(DefragPause.Left(TimeSpan.Zero, new HygieneState { LastDefragTime = Now }, Now));
    }

    [Fact]
    public void AClockThatWentBackwards_WaitsAtMostOnePause()
    {
        // Recorded while the clock ran an hour ahead; it has been set right since.
        var state = new HygieneState { LastDefragTime = Now + TimeSpan.FromHours(1) };

        Assert.Equal(Pause, DefragPause.Left(Pause, state, Now));
    }

    [Fact]
    public void AnUnfinishedDefragmentation_StartedAfterTheLastEnd_StartsThePauseUntilItsMemberAnswers()
    {
        var state = new HygieneState { LastDefragTime = Now, UnfinishedDefrag = new DefragStart("2", "m2", Now + TimeSpan.FromSeconds(5)) };

        _time.Advance(TimeSpan.FromSeconds(12));
        // From its start (5 s after the last end), not from the last end.
        Assert.Equal(TimeSpan.FromSeconds(3), DefragPause.Left(Pause, state, Now));
    }

    [Fact]
    public void AnUnfinishedDefragmentation_CountsFromWhenItsMemberAnsweredAgain_OnceOnly()
    {
        var started = Now;
        var state = new HygieneState { UnfinishedDefrag = new DefragStart("2", "m2", started) };

        // The member is busy for 40 s (a large database): no answer, the pause counts from the start.
        _time.Advance(TimeSpan.FromSeconds(40));
        state = DefragPause.SeenOver(state, Observed(Unreachable(Member(2, 1))));
        Assert.Null(DefragPause.Left(Pause, state, Now));

        // It answers: its defragmentation is over by now, and the pause runs from here.
        state = DefragPause.SeenOver(state, Observed(Member(2, 1)));
        Assert.Equal(Now, state.UnfinishedDefrag!.SeenOverAt);
        Assert.Equal(Pause, DefragPause.Left(Pause, state, Now));

        // Later observations do not move it (else the pause would never end).
        _time.Advance(TimeSpan.FromSeconds(6));
        state = DefragPause.SeenOver(state, Observed(Member(2, 1)));
        Assert.Equal(TimeSpan.FromSeconds(4), DefragPause.Left(Pause, state, Now));
    }

    [Fact]
    public void AnotherMemberAnswering_SaysNothingAboutTheUnfinishedOne()
    {
        var state = new HygieneState { UnfinishedDefrag = new DefragStart("2", "m2", Now) };
        _time.Advance(TimeSpan.FromSeconds(40));

        state = DefragPause.SeenOver(state, Observed(Member(1, 1), Member(3, 1), Unreachable(Member(2, 1))));

        Assert.Null(state.UnfinishedDefrag!.SeenOverAt);
    }

    [Fact]
    public void AMemberThatAnswersButIsUnhealthy_IsNotOverItsDefragmentation()
    {
        var state = new HygieneState { UnfinishedDefrag = new DefragStart("2", "m2", Now) };

        state = DefragPause.SeenOver(state, Observed(Member(2, 1) with { Health = MemberHealth.Unhealthy("health read timed out") }));

        Assert.Null(state.UnfinishedDefrag!.SeenOverAt);
    }

    private ClusterSnapshot Observed(params MemberSnapshot[] members) => Cluster(members) with { ObservedAt = Now };
}
