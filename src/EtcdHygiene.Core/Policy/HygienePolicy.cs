using EtcdHygiene.Core.Observation;

namespace EtcdHygiene.Core.Policy;

/// <summary>A validated RegistryPolicy with every default filled in and every value parsed.</summary>
public sealed record HygienePolicy
{
    /// <summary>namespace/name, the key logs, state and metrics use.</summary>
    public required PolicyKey Key { get; init; }

    /// <summary>metadata.generation, when Kubernetes set one.</summary>
    public long Generation { get; init; }

    /// <summary>How to reach etcd.</summary>
    public required EtcdSettings Etcd { get; init; }

    /// <summary>Compaction.</summary>
    public required CompactionSettings Compaction { get; init; }

    /// <summary>Defragmentation.</summary>
    public required DefragmentationSettings Defragmentation { get; init; }

    /// <summary>NOSPACE handling.</summary>
    public required AlarmSettings Alarms { get; init; }

    /// <summary>Churn analysis.</summary>
    public required AnalysisSettings Analysis { get; init; }

    /// <summary>Observe and report only.</summary>
    public bool Suspend { get; init; }

    /// <summary>Plan and report, but send no mutating RPC.</summary>
    public bool DryRun { get; init; }

    /// <summary>The backend quota of <paramref name="member"/>: what etcd reports, else what the policy says.</summary>
    public long? QuotaOf(MemberSnapshot member) => member.QuotaBytes ?? Etcd.QuotaBackendBytes;

    /// <summary>The member's physical size as a share of <see cref="QuotaOf"/>; null when either is unknown.</summary>
    public double? QuotaUsageOf(MemberSnapshot member) =>
        member.Status is { } status && QuotaOf(member) is { } quota && quota > 0 ? (double)status.DbSizeBytes / quota : null;
}

/// <summary>namespace/name of a policy.</summary>
/// <param name="Namespace">The namespace.</param>
/// <param name="Name">The name.</param>
public sealed record PolicyKey(string Namespace, string Name)
{
    /// <inheritdoc />
    public override string ToString() => $"{Namespace}/{Name}";
}

/// <summary>Resolved <c>spec.etcd</c>.</summary>
public sealed record EtcdSettings
{
    /// <summary>Client URLs.</summary>
    public required IReadOnlyList<string> Endpoints { get; init; }

    /// <summary>TLS Secret name, if any.</summary>
    public string? TlsSecretName { get; init; }

    /// <summary>Credentials Secret name, if any.</summary>
    public string? CredentialsSecretName { get; init; }

    /// <summary>Quota to assume when etcd does not report one.</summary>
    public long? QuotaBackendBytes { get; init; }

    /// <summary>Ordinary RPC timeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Defragment / physical compaction timeout.</summary>
    public TimeSpan DefragTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Key prefix of the lock in etcd through which one process at a time maintains the cluster.</summary>
    public string LockPrefix { get; init; } = PolicyDefaults.LockPrefix;
}

/// <summary>How history is compacted.</summary>
public enum CompactionMode
{
    /// <summary>Keep a time window of history.</summary>
    Periodic,
    /// <summary>Keep a number of revisions.</summary>
    Revision,
    /// <summary>Never compact (except the NOSPACE emergency, if allowed).</summary>
    Disabled,
}

/// <summary>Resolved <c>spec.compaction</c>.</summary>
public sealed record CompactionSettings
{
    /// <summary>Periodic, Revision or Disabled.</summary>
    public CompactionMode Mode { get; init; } = CompactionMode.Periodic;

    /// <summary>Periodic: history kept.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Revision: revisions kept.</summary>
    public long RetainRevisions { get; init; } = 10_000;

    /// <summary>At most one compaction per interval; also the cycle period of standalone mode.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>Resolved <c>spec.defragmentation</c>.</summary>
public sealed record DefragmentationSettings
{
    /// <summary>Share of the file not in use.</summary>
    public double MinFragmentationRatio { get; init; } = 0.45;

    /// <summary>Smallest database worth defragmenting.</summary>
    public long MinDbSizeBytes { get; init; } = 100L * 1024 * 1024;

    /// <summary>Smallest gain worth a stop-the-world.</summary>
    public long MinReclaimableBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Quota share above which fragmentation and size thresholds no longer matter.</summary>
    public double QuotaUsageAbove { get; init; } = 0.8;

    /// <summary>Cron expression (UTC) opening windows, or null for always.</summary>
    public string? Schedule { get; init; }

    /// <summary>How long each window stays open.</summary>
    public TimeSpan WindowDuration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Move leadership away before defragmenting the leader (off by default: see <see cref="PolicyDefaults.MoveLeader"/>).</summary>
    public bool MoveLeader { get; init; } = PolicyDefaults.MoveLeader;

    /// <summary>Pause between two members.</summary>
    public TimeSpan PauseBetweenMembers { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Defragment members running an etcd version with the unsafe-online-defragmentation defect.</summary>
    public bool AllowUnsafeEtcdVersions { get; init; }
}

/// <summary>What to do when compacting to the retention window does not end NOSPACE.</summary>
public enum EmergencyCompaction
{
    /// <summary>Never compact past the retention window; NOSPACE may persist.</summary>
    RetentionOnly,
    /// <summary>Compact to the current revision, with a Warning: registrations matter more than history.</summary>
    Latest,
}

/// <summary>Resolved <c>spec.alarms</c>.</summary>
public sealed record AlarmSettings
{
    /// <summary>Disarm NOSPACE when safe.</summary>
    public bool DisarmNoSpace { get; init; } = true;

    /// <summary>Every member must be below this share of the quota before disarming.</summary>
    public double DisarmBelowQuotaRatio { get; init; } = 0.8;

    /// <summary>Escalation at NOSPACE.</summary>
    public EmergencyCompaction EmergencyCompaction { get; init; } = EmergencyCompaction.Latest;

    /// <summary>The watch's pace between cycles.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Share of the quota from which to act as at NOSPACE; 0 is off.</summary>
    public double PreemptAboveQuotaRatio { get; init; } = PolicyDefaults.PreemptAboveQuotaRatio;
}

/// <summary>Resolved <c>spec.analysis</c>.</summary>
public sealed record AnalysisSettings
{
    /// <summary>Key prefixes to analyse; empty disables analysis.</summary>
    public IReadOnlyList<string> Prefixes { get; init; } = [];

    /// <summary>Rate window.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Key groups to report.</summary>
    public int TopKeys { get; init; } = 10;

    /// <summary>Leading path segments naming a group; null groups by parent path.</summary>
    public int? GroupDepth { get; init; }
}
