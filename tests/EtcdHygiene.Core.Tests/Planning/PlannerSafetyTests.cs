using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using Microsoft.Extensions.Time.Testing;
using static EtcdHygiene.Core.Tests.Planning.Given;

namespace EtcdHygiene.Core.Tests.Planning;

/// <summary>The refusals: what the planner must never plan, whatever else the snapshot says.</summary>
public sealed class PlannerSafetyTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

    private HygienePlan Plan(ClusterSnapshot snapshot, Func<EtcdHygiene.Core.Policy.HygienePolicy, EtcdHygiene.Core.Policy.HygienePolicy>? policy = null, HygieneState? state = null, CycleProgress? progress = null) =>
        HygienePlanner.Plan(PolicyWith(policy), snapshot, state ?? new HygieneState(), progress ?? new CycleProgress(), _time);

    [Fact]
    public void Suspended_PlansNothing()
    {
        var plan = Plan(Three(500, 100).WithNoSpace(), p => p with { Suspend = true });

        Assert.Empty(plan.Steps);
        Assert.Equal(NoteCode.Suspended, Assert.Single(plan.Notes).Code);
    }

    [Fact]
    public void CorruptAlarm_IsNeverDisarmed_AndBlocksEverything()
    {
        var snapshot = Three(500, 100).WithNoSpace() with
        {
            Alarms = [new ActiveAlarm(2, AlarmKind.Corrupt), new ActiveAlarm(1, AlarmKind.NoSpace)],
        };

        var plan = Plan(snapshot);

        Assert.Empty(plan.Steps);
        var note = Assert.Single(plan.Notes);
        Assert.Equal(NoteCode.CorruptAlarm, note.Code);
        Assert.Equal(NoteSeverity.Warning, note.Severity);
        Assert.Contains("m2", note.Message);
    }

    [Fact]
    public void UnknownAlarms_PlanNothing()
    {
        var plan = Plan(Three(500, 100) with { AlarmsKnown = false });

        Assert.Empty(plan.Steps);
        Assert.Equal(NoteCode.AlarmsUnknown, Assert.Single(plan.Notes).Code);
    }

    [Fact]
    public void NoReachableMember_PlansNothing()
    {
        var plan = Plan(Cluster(Unreachable(Member(1, 1))) with { Problems = ["no configured endpoint answered MemberList"] });

        Assert.Empty(plan.Steps);
        Assert.Contains("MemberList", Assert.Single(plan.Notes).Message);
    }

    [Fact]
    public void UnreachableVotingMember_BlocksDefragmentation_AndSaysWhich()
    {
        var snapshot = Three(500, 100).Replace(Unreachable(Member(3, 1)));

        var plan = Plan(snapshot);

        Assert.DoesNotContain(plan.Steps, s => s.Kind is StepKind.Defragment or StepKind.MoveLeader);
        var blocked = Assert.Single(plan.Notes, n => n.Code == NoteCode.DefragBlocked);
        Assert.Contains("m3 is unreachable", blocked.Message);
    }

    [Fact]
    public void UnhealthyVotingMember_BlocksDefragmentation()
    {
        var snapshot = Three(500, 100).Replace(Member(2, 1, 500, 100) with { Health = MemberHealth.Unhealthy("TimedOut: no answer") });

        var plan = Plan(snapshot);

        Assert.DoesNotContain(plan.Steps, s => s.Kind == StepKind.Defragment);
        Assert.Contains("m2 is unhealthy", Assert.Single(plan.Notes, n => n.Code == NoteCode.DefragBlocked).Message);
    }

    [Fact]
    public void NoLeader_BlocksDefragmentation()
    {
        var snapshot = Cluster(Member(1, 0, 500, 100), Member(2, 0, 500, 100), Member(3, 0, 500, 100));

        var plan = Plan(snapshot);

        Assert.DoesNotContain(plan.Steps, s => s.Kind == StepKind.Defragment);
        Assert.Contains("no leader", Assert.Single(plan.Notes, n => n.Code == NoteCode.DefragBlocked).Message);
    }

    [Fact]
    public void TwoVotingMembers_WouldLoseQuorum_SoNoDefragmentation()
    {
        var plan = Plan(Cluster(Member(1, 1, 500, 100), Member(2, 1, 500, 100)));

        Assert.DoesNotContain(plan.Steps, s => s.Kind == StepKind.Defragment);
        Assert.Contains("quorum", Assert.Single(plan.Notes, n => n.Code == NoteCode.DefragBlocked).Message);
    }

    [Fact]
    public void SingleMember_CanBeDefragmented_WithNoOneToHandLeadershipTo()
    {
        var plan = Plan(Cluster(Member(1, 1, 500, 100)), p => p with { Defragmentation = p.Defragmentation with { MoveLeader = true } });

        var step = Assert.Single(plan.Steps, s => s.Kind == StepKind.Defragment);
        Assert.Equal(1UL, step.MemberId);
        Assert.DoesNotContain(plan.Steps, s => s.Kind == StepKind.MoveLeader);
    }

    [Fact]
    public void Learners_AreSkipped_AndDoNotCountForQuorum()
    {
        var learner = Member(4, 1, 500, 100) with { IsLearner = true, Health = MemberHealth.Unhealthy("learners refuse linearizable reads") };
        var snapshot = Three(500, 100) with { Members = [.. Three(500, 100).Members, learner] };

        var plan = Plan(snapshot);

        Assert.DoesNotContain(plan.Steps, s => s.MemberId == 4 || s.TargetMemberId == 4);
        Assert.Equal(3, plan.Steps.Count(s => s.Kind == StepKind.Defragment));
        Assert.Contains(plan.Notes, n => n.Code == NoteCode.LearnerSkipped && n.Message.Contains("m4"));
    }

    [Fact]
    public void NoSpace_IsNotDisarmed_WhileAnyMemberIsAtOrAboveTheRatio()
    {
        // m1 and m2 are small again; m3 at 85% of 2 GiB (ratio 0.8): the alarm would come back at once.
        var snapshot = Cluster(Member(1, 1, 100, 90), Member(2, 1, 100, 90), Member(3, 1, 1741, 1700)).WithNoSpace(3);
        var progress = new CycleProgress();
        foreach (var id in new ulong[] { 1, 2, 3 })
        {
            progress.RecordDefragmentation(id);
        }

        var plan = Plan(snapshot, p => p with { Alarms = p.Alarms with { EmergencyCompaction = EtcdHygiene.Core.Policy.EmergencyCompaction.RetentionOnly } }, progress: progress);

        Assert.DoesNotContain(plan.Steps, s => s.Kind == StepKind.DisarmNoSpace);
        Assert.Contains("m3 at 85%", Assert.Single(plan.Notes, n => n.Code == NoteCode.NoSpacePersists).Message);
    }

    [Fact]
    public void NoSpace_IsNotDisarmed_WhenAMembersSizeIsUnknown()
    {
        var snapshot = Three(100, 90).Replace(Unreachable(Member(2, 1))).WithNoSpace();

        var plan = Plan(snapshot);

        Assert.DoesNotContain(plan.Steps, s => s.Kind == StepKind.DisarmNoSpace);
        Assert.Contains("m2 is unreachable", Assert.Single(plan.Notes, n => n.Code == NoteCode.QuotaUnknown).Message);
    }

    [Fact]
    public void DryRun_StillPlans_AndSaysNothingWillBeExecuted()
    {
        var plan = Plan(Three(500, 100), p => p with { DryRun = true });

        Assert.NotEmpty(plan.Steps);
        Assert.Contains(plan.Notes, n => n.Code == NoteCode.DryRun);
    }
}
