using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using static EtcdHygiene.Core.Tests.Planning.Given;

namespace EtcdHygiene.Core.Tests.Planning;

/// <summary>
/// The cycle's decisions between looks, replayed as sequences of plans and times without etcd:
/// the pause between members, the retry near NOSPACE, the step budget, stopping, and the look
/// again inside a turn.
/// </summary>
public sealed class CycleCourseTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(10);

    private static readonly HygienePolicy Policy = PolicyWith(p => p with
    {
        Defragmentation = p.Defragmentation with { PauseBetweenMembers = Pause },
    });

    private static HygieneStep Defragment(ulong member) => new() { Kind = StepKind.Defragment, Reason = "fragmented", MemberId = member, MemberName = $"m{member}" };

    private static HygienePlan Plan(params HygieneStep[] steps) => new(steps, []);

    /// <summary>Nothing to do only because a member is not back from its defragmentation.</summary>
    private static readonly HygienePlan Blocked = new([], [new PlanNote(NoteCode.DefragBlocked, "m2 does not answer")]);

    private static CycleMoment At(TimeSpan sinceStart, DateTimeOffset? now = null) => new(now ?? Noon + sinceStart, sinceStart);

    private static CycleCourse Start() => CycleCourse.Start(Three(), seenChanges: 0);

    [Fact]
    public void APlanWithNothingLeft_EndsTheCycle()
    {
        var (move, _) = Start().Next(Policy, Plan(), new HygieneState(), At(TimeSpan.Zero), null, stopping: false);

        Assert.Equal(new CycleMove.End(CycleEnd.NothingLeft), move);
    }

    [Fact]
    public void ADefragmentation_WaitsWhatIsLeftOfThePause_ThenActs_WithoutWaitingTwice()
    {
        var state = new HygieneState { LastDefragTime = Noon - TimeSpan.FromSeconds(2) };

        var (first, course) = Start().Next(Policy, Plan(Defragment(2)), state, At(TimeSpan.Zero), null, stopping: false);
        var wait = Assert.IsType<CycleMove.Wait>(first);
        Assert.Equal((TimeSpan.FromSeconds(8), WaitReason.PauseBetweenMembers), (wait.Duration, wait.Reason));
        Assert.True(wait.EndsOnStop);
        Assert.Contains("pauseBetweenMembers", wait.Message);

        // After the wait the cycle looks again; the same plan is then sent, not paused again.
        var (second, _) = course.Next(Policy, Plan(Defragment(2)), state, At(TimeSpan.FromSeconds(8)), null, stopping: false);
        Assert.Equal(new CycleMove.Act(Defragment(2)), second);
    }

    [Fact]
    public void ThePause_CountsFromTheClustersLastDefragmentation_ByAnotherPolicy_WhenLater()
    {
        var state = new HygieneState { LastDefragTime = Noon - TimeSpan.FromMinutes(5) };

        var (alone, _) = Start().Next(Policy, Plan(Defragment(2)), state, At(TimeSpan.Zero), null, stopping: false);
        var (shared, _) = Start().Next(Policy, Plan(Defragment(2)), state, At(TimeSpan.Zero), Noon - TimeSpan.FromSeconds(1), stopping: false);

        Assert.IsType<CycleMove.Act>(alone);
        Assert.Equal(TimeSpan.FromSeconds(9), Assert.IsType<CycleMove.Wait>(shared).Duration);
    }

    [Fact]
    public void AnUrgentPlan_DoesNotWaitThePause()
    {
        var state = new HygieneState { LastDefragTime = Noon };

        var (move, _) = Start().Next(Policy, Plan(Defragment(2)) with { Urgent = true }, state, At(TimeSpan.Zero), null, stopping: false);

        Assert.Equal(new CycleMove.Act(Defragment(2)), move);
    }

    [Fact]
    public void AnUrgentCycle_AsksAMemberThatIsNotBackAgain_UntilTheRequestTimeout_OnTheMonotonicClock_EvenWithTheWallClockSteppedBack()
    {
        var (_, course) = Start().Next(Policy, Plan(Defragment(1)) with { Urgent = true }, new HygieneState(), At(TimeSpan.Zero), null, stopping: false);
        course = course.Acted(1);

        var (first, afterFirst) = course.Next(Policy, Blocked, new HygieneState(), At(TimeSpan.FromSeconds(1)), null, stopping: false);
        var wait = Assert.IsType<CycleMove.Wait>(first);
        Assert.Equal((CycleCourse.BlockedRetryPoll, WaitReason.MemberNotBack, false, false), (wait.Duration, wait.Reason, wait.Announce, wait.EndsOnStop));

        // The wall clock steps back an hour: the window still ends a request timeout after it began.
        var steppedBack = Noon - TimeSpan.FromHours(1);
        var (again, afterAgain) = afterFirst.Next(Policy, Blocked, new HygieneState(), At(TimeSpan.FromSeconds(10.9), steppedBack), null, stopping: false);
        Assert.IsType<CycleMove.Wait>(again);
        var (last, _) = afterAgain.Next(Policy, Blocked, new HygieneState(), At(TimeSpan.FromSeconds(11), steppedBack), null, stopping: false);
        Assert.Equal(new CycleMove.End(CycleEnd.NothingLeft), last);
    }

    [Fact]
    public void ARoutineCycle_DoesNotAskAgain_WhenAMemberIsNotBack()
    {
        var (move, _) = Start().Next(Policy, Blocked, new HygieneState(), At(TimeSpan.Zero), null, stopping: false);

        Assert.Equal(new CycleMove.End(CycleEnd.NothingLeft), move);
    }

    [Fact]
    public void TheRetryWindow_StartsAgainAfterAStep()
    {
        var urgent = Plan(Defragment(1)) with { Urgent = true };
        var (_, course) = Start().Next(Policy, urgent, new HygieneState(), At(TimeSpan.Zero), null, stopping: false);
        (_, course) = course.Acted(1).Next(Policy, Blocked, new HygieneState(), At(TimeSpan.FromSeconds(1)), null, stopping: false);
        (_, course) = course.Next(Policy, urgent, new HygieneState(), At(TimeSpan.FromSeconds(2)), null, stopping: false);
        course = course.Acted(2);

        // Blocked again 19 s after the first blocked look: a new window, not the rest of the old one.
        var (move, next) = course.Next(Policy, Blocked, new HygieneState(), At(TimeSpan.FromSeconds(20)), null, stopping: false);

        Assert.IsType<CycleMove.Wait>(move);
        Assert.Equal(TimeSpan.FromSeconds(20), next.BlockedSince);
    }

    [Fact]
    public void TheStepBudget_EndsACycleThatKeepsFindingWork()
    {
        var course = Start();
        Assert.Equal(4 * 3 + 8, course.StepBudget);
        for (var i = 0; i < course.StepBudget; i++)
        {
            var (move, next) = course.Next(Policy, Plan(Defragment(2)) with { Urgent = true }, new HygieneState(), At(TimeSpan.FromSeconds(i)), null, stopping: false);
            Assert.IsType<CycleMove.Act>(move);
            course = next.Acted(i + 1);
        }

        var (last, _) = course.Next(Policy, Plan(Defragment(2)) with { Urgent = true }, new HygieneState(), At(TimeSpan.FromMinutes(1)), null, stopping: false);

        Assert.Equal(new CycleMove.End(CycleEnd.StepBudgetSpent), last);
    }

    [Fact]
    public void Stopping_EndsTheCycleBeforeItsNextStep_AndNoRetryStartsThen()
    {
        var (withSteps, _) = Start().Next(Policy, Plan(Defragment(2)), new HygieneState(), At(TimeSpan.Zero), null, stopping: true);
        var (blocked, _) = Start().Next(Policy, Blocked with { Urgent = true }, new HygieneState(), At(TimeSpan.Zero), null, stopping: true);

        Assert.Equal(new CycleMove.End(CycleEnd.Stopping), withSteps);
        Assert.Equal(new CycleMove.End(CycleEnd.NothingLeft), blocked);
    }

    [Fact]
    public void InsideATurn_TheCycleLooksAgain_WhenAnotherActedOrTheTurnWasLongInComing_OnceAfterALongWait()
    {
        var course = Start();

        Assert.Null(course.LookAgainInTurn(changes: 0, TimeSpan.FromMilliseconds(10)));
        Assert.Equal(3, course.LookAgainInTurn(changes: 3, TimeSpan.Zero)?.SeenChanges);

        var looked = course.LookAgainInTurn(changes: 0, TimeSpan.FromSeconds(2));
        Assert.NotNull(looked);
        // A turn that is always slow in coming does not make the cycle look for ever...
        Assert.Null(looked.LookAgainInTurn(changes: 0, TimeSpan.FromSeconds(2)));
        // ...but each step gets its own look.
        Assert.NotNull(looked.Acted(0).LookAgainInTurn(changes: 0, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void ALookInsideATurn_LetsThePauseBeWaitedAgain_BecauseAnotherPolicyMayHaveDefragmentedMeanwhile()
    {
        var state = new HygieneState { LastDefragTime = Noon };
        var (_, paused) = Start().Next(Policy, Plan(Defragment(2)), state, At(TimeSpan.Zero), null, stopping: false);
        var looked = paused.LookAgainInTurn(changes: 1, TimeSpan.Zero)!;

        var (move, _) = looked.Next(Policy, Plan(Defragment(2)), state, At(TimeSpan.FromSeconds(10)), clusterLastDefragmentation: Noon + TimeSpan.FromSeconds(9), stopping: false);

        Assert.Equal(TimeSpan.FromSeconds(9), Assert.IsType<CycleMove.Wait>(move).Duration);
    }
}
