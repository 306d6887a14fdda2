using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Operator.Supervision;

namespace EtcdHygiene.Operator.Tests.Supervision;

/// <summary>When the next cycle comes after cycles that could not reach every member.</summary>
public sealed class NextCycleInTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static readonly HygienePolicy Policy = new()
    {
        Key = new PolicyKey("default", "registry"),
        Etcd = new EtcdSettings { Endpoints = ["http://127.0.0.1:2379"] },
        Compaction = new CompactionSettings(),
        Defragmentation = new DefragmentationSettings(),
        Alarms = new AlarmSettings(),
        Analysis = new AnalysisSettings(),
    };

    [Fact]
    public void AfterCyclesThatCouldNotReachEveryMember_TheRetryComesSoon_ThenDoublesUpToTheInterval()
    {
        var unreachable = Cycle([Member(1, reachable: false)], PlanNote.Warning(NoteCode.ClusterUnreachable, "no etcd member could be reached: no member answered"));

        var waits = Enumerable.Range(1, 8).Select(n => CycleSchedule.NextCycleIn(Policy, unreachable, null, Now, n).TotalSeconds).ToList();

        Assert.Equal([5, 10, 20, 40, 80, 160, 300, 300], waits); // the default interval is 5m
        Assert.Equal(300, CycleSchedule.NextCycleIn(Policy, Cycle([Member(1), Member(2)]), null, Now, 0).TotalSeconds);
    }

    [Fact]
    public void WhatCountsAsNotReachingEveryMember_AndNoSpaceStillComesFirst()
    {
        Assert.True(Cycle([Member(1), Member(2)]).ReachedEveryMember);
        Assert.False(Cycle([Member(1), Member(2, reachable: false)]).ReachedEveryMember); // one member down
        Assert.False(Cycle([Member(1), Member(2)], PlanNote.Warning(NoteCode.AlarmsUnknown, "the alarm list could not be read")).ReachedEveryMember);

        // While NOSPACE lasts the watch's pace (2s) wins over a retry that has grown longer.
        var degraded = Cycle([Member(1), Member(2, reachable: false)]);
        var noSpace = degraded with { Final = degraded.Final with { Alarms = [new ActiveAlarm(1, AlarmKind.NoSpace)] } };
        Assert.Equal(2, CycleSchedule.NextCycleIn(Policy, noSpace, null, Now, 6).TotalSeconds);
    }

    private static MemberSnapshot Member(ulong id, bool reachable = true) => new()
    {
        Id = id,
        Name = $"m{id}",
        AdvertisedClientUrls = [$"http://127.0.0.1:{2378 + (int)id}"],
        IsLearner = false,
        Status = reachable ? new MemberStatus { Version = "3.5.30", DbSizeBytes = 1 << 20, DbSizeInUseBytes = 1 << 19, Revision = 10, LeaderId = 1, RaftIndex = 5, RaftTerm = 2 } : null,
    };

    private static CycleResult Cycle(IReadOnlyList<MemberSnapshot> members, params PlanNote[] notes)
    {
        var snapshot = new ClusterSnapshot { ObservedAt = Now, Members = members, Alarms = [] };
        return new CycleResult
        {
            Initial = snapshot,
            Final = snapshot,
            InitialPlan = new HygienePlan([], notes),
            Steps = [],
            Notes = notes,
            State = new HygieneState(),
            StartedAt = Now,
            FinishedAt = Now,
        };
    }
}
