using EtcdHygiene.Core.Observation;

namespace EtcdHygiene.Core.Tests.Observation;

public sealed class SnapshotTests
{
    [Fact]
    public void Member_DerivesFragmentationReclaimableAndQuotaUsage()
    {
        var member = Member(1, leader: 1, size: 1000, inUse: 250, quota: 4000);

        Assert.Equal(0.75, member.FragmentationRatio!.Value, 6);
        Assert.Equal(750, member.ReclaimableBytes);
        Assert.Equal(0.25, member.QuotaUsageRatio!.Value, 6);
        Assert.True(member.IsLeader);
        Assert.Equal("1", member.HexId);
    }

    [Fact]
    public void Member_WithoutStatusOrQuota_HasNoDerivedFigures()
    {
        var unreachable = Member(2, leader: 1, size: 0, inUse: 0, quota: null) with { Status = null };
        var unknownQuota = Member(3, leader: 1, size: 100, inUse: 100, quota: null);

        Assert.False(unreachable.Reachable);
        Assert.False(unreachable.IsLeader);
        Assert.Null(unreachable.FragmentationRatio);
        Assert.Null(unreachable.ReclaimableBytes);
        Assert.Null(unknownQuota.QuotaUsageRatio);
        Assert.Equal(0.0, unknownQuota.FragmentationRatio);
    }

    [Fact]
    public void Snapshot_HasALeaderOnlyWhenExactlyOneMemberClaimsIt()
    {
        var one = Snapshot(Member(1, 1), Member(2, 1), Member(3, 1));
        // A member partitioned away can still believe it leads an old term: two claims, no leader.
        var two = Snapshot(Member(1, 1), Member(2, 2), Member(3, 1));
        var none = Snapshot(Member(1, 0), Member(2, 0));

        Assert.Equal(1UL, one.Leader?.Id);
        Assert.Null(two.Leader);
        Assert.Null(none.Leader);
    }

    [Fact]
    public void Snapshot_RevisionIsTheNewestReported_AndNoSpaceIsSeenInTheAlarmList()
    {
        var snapshot = Snapshot(Member(1, 1) with { Status = Status(1, 10, 10) with { Revision = 41 } }, Member(2, 1))
            with { Alarms = [new ActiveAlarm(2, AlarmKind.NoSpace)] };

        Assert.Equal(41, snapshot.Revision);
        Assert.True(snapshot.HasNoSpaceAlarm);
        Assert.False((snapshot with { Alarms = [new ActiveAlarm(2, AlarmKind.Corrupt)] }).HasNoSpaceAlarm);
    }

    private static ClusterSnapshot Snapshot(params MemberSnapshot[] members) => new()
    {
        ObservedAt = DateTimeOffset.UnixEpoch,
        Members = members,
        Alarms = [],
    };

    private static MemberSnapshot Member(ulong id, ulong leader, long size = 100, long inUse = 50, long? quota = 1000) => new()
    {
        Id = id,
        Name = $"m{id}",
        AdvertisedClientUrls = [$"http://127.0.0.1:{2378 + (int)id}"],
        IsLearner = false,
        Status = Status(leader, size, inUse),
        QuotaBytes = quota,
    };

    private static MemberStatus Status(ulong leader, long size, long inUse) => new()
    {
        Version = "3.4.23",
        DbSizeBytes = size,
        DbSizeInUseBytes = inUse,
        Revision = 7,
        LeaderId = leader,
        RaftIndex = 9,
        RaftTerm = 2,
    };
}
