using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using Microsoft.Extensions.Time.Testing;
using static EtcdHygiene.Core.Tests.Planning.Given;

namespace EtcdHygiene.Core.Tests.Planning;

public sealed class DefragmentationPlanningTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

    private HygienePlan Plan(EtcdHygiene.Core.Observation.ClusterSnapshot snapshot, Func<HygienePolicy, HygienePolicy>? policy = null, CycleProgress? progress = null) =>
        HygienePlanner.Plan(PolicyWith(p => (policy ?? (x => x))(p) with { Compaction = p.Compaction with { Mode = CompactionMode.Disabled } }),
            snapshot, new HygieneState(), progress ?? new CycleProgress(), _time);

    private static HygienePolicy MovingLeader(HygienePolicy p) => p with { Defragmentation = p.Defragmentation with { MoveLeader = true } };

    [Fact]
    public void AtTheDefaults_FollowersMostReclaimableFirst_TheLeaderLastInPlace()
    {
        var snapshot = Cluster(Member(1, 1, 500, 100), Member(2, 1, 300, 100), Member(3, 1, 600, 100));

        var steps = Plan(snapshot).Steps;

        // No leadership transfer: etcd drops the proposals in flight while leadership moves (README, Performance).
        Assert.Equal(["Defragment m3", "Defragment m2", "Defragment m1"], steps.Select(s => s.Title));
        Assert.Contains("83% fragmented", steps[0].Reason);
        Assert.Contains("leader goes last", steps[^1].Reason);
    }

    [Fact]
    public void WithMoveLeader_LeadershipMovesAwayBeforeTheLeaderIsDefragmented()
    {
        var snapshot = Cluster(Member(1, 1, 500, 100), Member(2, 1, 300, 100), Member(3, 1, 600, 100));

        var steps = Plan(snapshot, MovingLeader).Steps;

        Assert.Equal(["Defragment m3", "Defragment m2", "Move leader m1 -> m3", "Defragment m1"], steps.Select(s => s.Title));
    }

    [Fact]
    public void OnlyTheLeaderNeedsIt_LeadershipMovesToTheMostUpToDateFollower()
    {
        var snapshot = Cluster(Member(1, 1, 500, 100), Member(2, 1, 20, 20), Member(3, 1, 20, 20));

        var steps = Plan(snapshot, MovingLeader).Steps;

        // m3 has the higher raft index in the builder.
        Assert.Equal(["Move leader m1 -> m3", "Defragment m1"], steps.Select(s => s.Title));
    }

    [Theory]
    [InlineData(500, 100, true)]   // 80% fragmented, 400 MiB reclaimable
    [InlineData(90, 10, false)]    // fragmented but below minDbSizeBytes (100 MiB)
    [InlineData(150, 120, false)]  // 20% fragmented, below 45%
    [InlineData(200, 190, false)]  // fragmented little and only 10 MiB reclaimable
    [InlineData(1700, 1600, true)] // 83% of the 2 GiB quota with 100 MiB reclaimable
    [InlineData(1700, 1690, false)]// 83% of quota but only 10 MiB reclaimable: not worth a stop-the-world
    public void TheRule(long sizeMiB, long inUseMiB, bool defragments)
    {
        var plan = Plan(Cluster(Member(1, 1, sizeMiB, inUseMiB)));

        Assert.Equal(defragments, plan.Steps.Any(s => s.Kind == StepKind.Defragment));
        if (!defragments)
        {
            Assert.Contains(plan.Notes, n => n.Code == NoteCode.DefragNotNeeded);
        }
    }

    [Fact]
    public void QuotaFromThePolicy_IsUsedWhenEtcdDoesNotTell()
    {
        var member = Member(1, 1, 90, 50) with { QuotaBytes = null };

        var withoutQuota = Plan(Cluster(member), p => p with { Defragmentation = p.Defragmentation with { MinReclaimableBytes = 16 * MiB } });
        var withQuota = Plan(Cluster(member), p => p with
        {
            Etcd = p.Etcd with { QuotaBackendBytes = 100 * MiB },
            Defragmentation = p.Defragmentation with { MinReclaimableBytes = 16 * MiB },
        });

        Assert.Empty(withoutQuota.Steps);
        Assert.Contains("90% of its quota", Assert.Single(withQuota.Steps).Reason);
    }

    [Fact]
    public void MembersDefragmentedThisCycle_AreNotTakenAgain()
    {
        var progress = new CycleProgress();
        progress.RecordDefragmentation(3);

        var steps = Plan(Cluster(Member(1, 1, 20, 20), Member(2, 1, 500, 100), Member(3, 1, 500, 100)), progress: progress).Steps;

        Assert.Equal(["Defragment m2"], steps.Select(s => s.Title));
    }

    [Fact]
    public void OutsideTheCronWindow_NothingIsDefragmented_AndTheNextOpeningIsNamed()
    {
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

        var plan = Plan(Three(500, 100), p => p with { Defragmentation = p.Defragmentation with { Schedule = "0 3 * * *" } });

        Assert.Empty(plan.Steps);
        Assert.Contains("2026-11-26 03:00:00Z", Assert.Single(plan.Notes, n => n.Code == NoteCode.OutsideDefragWindow).Message);
    }

    [Fact]
    public void InsideTheCronWindow_MembersAreDefragmented()
    {
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 26, 3, 40, 0, TimeSpan.Zero));

        var plan = Plan(Three(500, 100), p => p with { Defragmentation = p.Defragmentation with { Schedule = "0 3 * * *", WindowDuration = TimeSpan.FromHours(1) } });

        Assert.Equal(3, plan.Steps.Count(s => s.Kind == StepKind.Defragment));
    }

    [Fact]
    public void NoSpace_IgnoresTheCronWindowAndTheRule()
    {
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        // Far below minDbSizeBytes and minReclaimableBytes: the rule alone would never pick these.
        var snapshot = Cluster(Member(1, 1, 24, 20, quotaMiB: 24), Member(2, 1, 24, 20, quotaMiB: 24), Member(3, 1, 24, 20, quotaMiB: 24)).WithNoSpace();

        var plan = Plan(snapshot, p => p with { Defragmentation = p.Defragmentation with { Schedule = "0 3 * * *" } });

        Assert.Equal(["Defragment m2", "Defragment m3", "Defragment m1"], plan.Steps.Select(s => s.Title));
        Assert.DoesNotContain(plan.Notes, n => n.Code == NoteCode.OutsideDefragWindow);
    }
}
