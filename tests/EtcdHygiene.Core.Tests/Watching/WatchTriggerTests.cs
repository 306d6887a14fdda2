using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Watching;
using static EtcdHygiene.Core.Tests.Planning.Given;

namespace EtcdHygiene.Core.Tests.Watching;

/// <summary>What makes the watch start a cycle at once, and what does not.</summary>
public sealed class WatchTriggerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The cluster as the last cycle left it: three members of a 24 MiB quota at 10 MiB.</summary>
    private static readonly ClusterSnapshot Last = Cluster(Member(1, 1, 10, 10, 24), Member(2, 1, 10, 10, 24), Member(3, 1, 10, 10, 24));

    private static ClusterProbe Probe(double seconds, long m1Bytes, params AlarmKind[] alarms) => new()
    {
        ObservedAt = T0.AddSeconds(seconds),
        Members = [new MemberProbe(1, m1Bytes, alarms), new MemberProbe(2, 10 * MiB, alarms), new MemberProbe(3, 10 * MiB, alarms)],
    };

    [Fact]
    public void ANewNoSpaceAlarm_StartsACycle_ButOneTheLastCycleAlreadySaw_DoesNot()
    {
        var policy = PolicyWith();

        Assert.Contains("NOSPACE", WatchTrigger.Check(policy, Last, null, Probe(2, 10 * MiB, AlarmKind.NoSpace))!.Reason);
        Assert.Null(WatchTrigger.Check(policy, Last.WithNoSpace(), null, Probe(2, 10 * MiB, AlarmKind.NoSpace)));
        Assert.Contains("CORRUPT", WatchTrigger.Check(policy, Last, null, Probe(2, 10 * MiB, AlarmKind.Corrupt))!.Reason);
    }

    [Fact]
    public void AMemberFallingSilent_StartsACycle_ButOneTheLastCycleCouldNotReach_DoesNot()
    {
        var policy = PolicyWith();
        var onlyM1 = new ClusterProbe { ObservedAt = T0.AddSeconds(2), Members = [new MemberProbe(1, 10 * MiB, [])] };
        var silent = onlyM1 with { Members = [] };

        Assert.Equal("m2, m3 stopped answering", WatchTrigger.Check(policy, Last, null, onlyM1)!.Reason);
        Assert.Equal("no member answers", WatchTrigger.Check(policy, Last, null, silent)!.Reason);
        // The cycle already told these; its retries look for them coming back, the watch would only repeat it.
        var m2AndM3Down = Last.Replace(Unreachable(Last.Members[1])).Replace(Unreachable(Last.Members[2]));
        Assert.Null(WatchTrigger.Check(policy, m2AndM3Down, null, onlyM1));
        Assert.Null(WatchTrigger.Check(policy, Cluster(Unreachable(Last.Members[0]), Unreachable(Last.Members[1]), Unreachable(Last.Members[2])), null, silent));
    }

    [Fact]
    public void CrossingAQuotaMark_StartsACycle()
    {
        var policy = PolicyWith();

        Assert.Null(WatchTrigger.Check(policy, Last, null, Probe(2, 18 * MiB)));
        Assert.Contains("m1 crossed 80% of its quota", WatchTrigger.Check(policy, Last, null, Probe(2, 20 * MiB))!.Reason);
        Assert.Contains("m1 crossed 95% of its quota (spec.alarms.preemptAboveQuotaRatio)", WatchTrigger.Check(policy, Last, null, Probe(2, 23 * MiB))!.Reason);
    }

    [Fact]
    public void GrowingFastEnoughToPassTheHighWaterMarkBeforeTheNextLook_StartsACycle_WithTheGrowthToPlanFor()
    {
        var policy = PolicyWith();
        var before = Probe(0, 12 * MiB);

        // 3 MiB in 2 s: 6 MiB more within the next two looks (4 s at the default 2 s), from 15 to 21 of 24 MiB: below 95%.
        Assert.Null(WatchTrigger.Check(policy, Last, before, Probe(2, 15 * MiB)));
        // 4 MiB in 2 s: from 16 to 24 MiB within 4 s.
        var finding = WatchTrigger.Check(policy, Last, Probe(0, 12 * MiB), Probe(2, 16 * MiB));

        Assert.NotNull(finding);
        Assert.Contains("grows fast enough to pass 95%", finding.Reason);
        Assert.Equal(8 * MiB, finding.Outlook.Of(1));
        Assert.Equal(0, finding.Outlook.Of(2));
    }

    [Fact]
    public void TheFirstLookAfterACycle_MeasuresGrowthFromTheCyclesOwnObservation()
    {
        var policy = PolicyWith();
        // The cycle ended 2 s before the look, at 12 MiB of a 24 MiB quota.
        var last = Last with { ObservedAt = T0, Members = [Member(1, 1, 12, 12, 24), Member(2, 1, 12, 12, 24), Member(3, 1, 12, 12, 24)] };

        // Without a look of its own yet, 4 MiB in the 2 s since the cycle is 8 MiB more within the next two looks: past 95%.
        var finding = WatchTrigger.Check(policy, last, null, Probe(2, 16 * MiB));

        Assert.NotNull(finding);
        Assert.Contains("m1 is at 67% of its quota and grows fast enough to pass 95%", finding.Reason);
        Assert.Equal(8 * MiB, finding.Outlook.Of(1));
    }

    [Fact]
    public void AMemberCatchingUpAfterARestart_IsNotGrowth_ButGrowthPastTheLargestMemberIs()
    {
        var policy = PolicyWith();
        // m1 was down while the registry wrote: 4 MiB against the others' 16 MiB of a 24 MiB quota.
        ClusterProbe Look(double seconds, long m1, long others) => new()
        {
            ObservedAt = T0.AddSeconds(seconds),
            Members = [new MemberProbe(1, m1 * MiB, []), new MemberProbe(2, others * MiB, []), new MemberProbe(3, others * MiB, [])],
        };

        // Back, it replays the log up to the others' size in 2 s: 12 MiB it did not hold, no byte written.
        Assert.Null(WatchTrigger.Check(policy, Last, Look(0, 4, 16), Look(2, 16, 16)));
        Assert.Equal(0, WatchTrigger.Outlook(policy, Look(0, 4, 16), Look(2, 16, 16)).Of(1));
        // The control: the whole cluster growing 4 MiB in 2 s is growth, and it would pass 95% within the next two looks.
        var finding = WatchTrigger.Check(policy, Last, Look(0, 12, 12), Look(2, 16, 16));
        Assert.NotNull(finding);
        Assert.Equal(8 * MiB, finding.Outlook.Of(1));
        // A member past the largest size of the last look grows by what it passed it.
        Assert.Equal(4 * MiB, WatchTrigger.Outlook(policy, Look(0, 4, 16), Look(2, 18, 16)).Of(1));
    }
}
