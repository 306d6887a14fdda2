namespace EtcdHygiene.Core.Observation;

/// <summary>One etcd member as MemberList names it and as its own Status describes it.</summary>
public sealed record MemberSnapshot
{
    /// <summary>The member id, as etcd assigns it.</summary>
    public required ulong Id { get; init; }

    /// <summary>The member name; empty for a member added but not started yet.</summary>
    public required string Name { get; init; }

    /// <summary>The client URLs the member advertises in MemberList.</summary>
    public required IReadOnlyList<string> AdvertisedClientUrls { get; init; }

    /// <summary>True for a learner (non-voting member).</summary>
    public required bool IsLearner { get; init; }

    /// <summary>The URL this member was reached at, or null when it could not be reached.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Whether <see cref="Endpoint"/> is the advertised URL or a configured one.</summary>
    public EndpointSource EndpointSource { get; init; } = EndpointSource.None;

    /// <summary>Why the advertised URLs were not used, or why the member could not be reached.</summary>
    public string? EndpointNote { get; init; }

    /// <summary>The member's Status; null when it did not answer.</summary>
    public MemberStatus? Status { get; init; }

    /// <summary>The result of a linearizable read through this member.</summary>
    public MemberHealth Health { get; init; } = MemberHealth.Unknown("not probed");

    /// <summary>The backend quota of this member, when known.</summary>
    public long? QuotaBytes { get; init; }

    /// <summary>Where <see cref="QuotaBytes"/> came from.</summary>
    public QuotaSource QuotaSource { get; init; } = QuotaSource.Unknown;

    /// <summary>The revision history is compacted up to, as the member reports on /metrics; null when unknown.</summary>
    public long? CompactRevision { get; init; }

    /// <summary>
    /// How many compactions the member has finished applying since it started (etcd reports a
    /// compacted revision as soon as a compaction is scheduled; this counts the ones done). Null when unknown.
    /// </summary>
    public long? FinishedCompactions { get; init; }

    /// <summary>True when the member answered Status.</summary>
    public bool Reachable => Status is not null;

    /// <summary>True when this member's own Status names itself as leader.</summary>
    public bool IsLeader => Status is not null && Status.LeaderId == Id;

    /// <summary>
    /// The share of the physical file that holds no live data (1 - inUse / size): what a defrag
    /// would give back. Null when unknown.
    /// </summary>
    public double? FragmentationRatio =>
        Status is { DbSizeBytes: > 0 } s ? 1.0 - (double)s.DbSizeInUseBytes / s.DbSizeBytes : null;

    /// <summary>Bytes a defrag would return to the file system (size - inUse).</summary>
    public long? ReclaimableBytes => Status is { } s ? Math.Max(0, s.DbSizeBytes - s.DbSizeInUseBytes) : null;

    /// <summary>The physical size as a share of the quota, when both are known.</summary>
    public double? QuotaUsageRatio =>
        Status is { } s && QuotaBytes is > 0 ? (double)s.DbSizeBytes / QuotaBytes.Value : null;

    /// <summary>The id as etcdctl prints it (hex), for logs and tables.</summary>
    public string HexId => Id.ToString("x");

    /// <summary>How messages and tables name the member: its name, or its hex id while it has none (added, not started).</summary>
    public string DisplayName => string.IsNullOrEmpty(Name) ? HexId : Name;
}
