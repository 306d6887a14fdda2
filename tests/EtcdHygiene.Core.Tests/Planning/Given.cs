using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Tests.Planning;

/// <summary>Builders for planner inputs: policies, members and snapshots in a few words.</summary>
internal static class Given
{
    public const long MiB = 1024 * 1024;

    public static HygienePolicy PolicyWith(Func<HygienePolicy, HygienePolicy>? change = null)
    {
        var policy = new HygienePolicy
        {
            Key = new PolicyKey("default", "registry"),
            Etcd = new EtcdSettings { Endpoints = ["http://127.0.0.1:2379"] },
            Compaction = new CompactionSettings { Retention = TimeSpan.FromHours(1), Interval = TimeSpan.FromMinutes(5) },
            Defragmentation = new DefragmentationSettings
            {
                MinFragmentationRatio = 0.45,
                MinDbSizeBytes = 100 * MiB,
                MinReclaimableBytes = 32 * MiB,
                QuotaUsageAbove = 0.8,
                PauseBetweenMembers = TimeSpan.Zero,
            },
            Alarms = new AlarmSettings(),
            Analysis = new AnalysisSettings(),
        };
        return change is null ? policy : change(policy);
    }

    /// <summary>A healthy voting member following <paramref name="leader"/>, 2 GiB quota.</summary>
    public static MemberSnapshot Member(ulong id, ulong leader, long sizeMiB = 10, long inUseMiB = 10, long quotaMiB = 2048) => new()
    {
        Id = id,
        Name = $"m{id}",
        AdvertisedClientUrls = [$"http://127.0.0.1:{2378 + (int)id}"],
        IsLearner = false,
        Endpoint = $"http://127.0.0.1:{2378 + (int)id}",
        EndpointSource = EndpointSource.Advertised,
        Status = new MemberStatus
        {
            Version = "3.4.23",
            DbSizeBytes = sizeMiB * MiB,
            DbSizeInUseBytes = inUseMiB * MiB,
            Revision = 10_000,
            LeaderId = leader,
            RaftIndex = 500 + id,
            RaftTerm = 2,
        },
        Health = MemberHealth.Healthy,
        QuotaBytes = quotaMiB * MiB,
        QuotaSource = QuotaSource.Metrics,
    };

    public static MemberSnapshot Unreachable(MemberSnapshot member) => member with
    {
        Status = null,
        Endpoint = null,
        EndpointSource = EndpointSource.None,
        EndpointNote = "unreachable: TimedOut",
        Health = MemberHealth.Unknown("unreachable"),
        QuotaBytes = null,
    };

    public static ClusterSnapshot Cluster(params MemberSnapshot[] members) => new()
    {
        ObservedAt = DateTimeOffset.UnixEpoch,
        Members = members,
        Alarms = [],
    };

    /// <summary>Three healthy members led by m1, each with the given sizes.</summary>
    public static ClusterSnapshot Three(long sizeMiB = 10, long inUseMiB = 10) =>
        Cluster(Member(1, 1, sizeMiB, inUseMiB), Member(2, 1, sizeMiB, inUseMiB), Member(3, 1, sizeMiB, inUseMiB));

    public static ClusterSnapshot WithNoSpace(this ClusterSnapshot snapshot, ulong raisedBy = 1) =>
        snapshot with { Alarms = [.. snapshot.Alarms, new ActiveAlarm(raisedBy, AlarmKind.NoSpace)] };

    public static ClusterSnapshot WithRevision(this ClusterSnapshot snapshot, long revision, long? compacted = null) =>
        snapshot with
        {
            Members = snapshot.Members.Select(m => m.Status is null ? m : m with
            {
                Status = m.Status with { Revision = revision },
                CompactRevision = compacted,
            }).ToList(),
        };

    public static ClusterSnapshot Replace(this ClusterSnapshot snapshot, MemberSnapshot member) =>
        snapshot with { Members = snapshot.Members.Select(m => m.Id == member.Id ? member : m).ToList() };
}
