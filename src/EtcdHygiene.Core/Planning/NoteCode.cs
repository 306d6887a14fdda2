namespace EtcdHygiene.Core.Planning;

/// <summary>
/// What a <see cref="PlanNote"/> is about. The name is also the CamelCase reason of the Kubernetes
/// event the operator records for a warning note, so renaming a member renames an event reason.
/// </summary>
public enum NoteCode
{
    /// <summary>spec.suspend: observing only.</summary>
    Suspended,
    /// <summary>No member answered.</summary>
    ClusterUnreachable,
    /// <summary>The alarm list could not be read, so nothing is done.</summary>
    AlarmsUnknown,
    /// <summary>A member raised CORRUPT: nothing is done until a person acts.</summary>
    CorruptAlarm,
    /// <summary>spec.dryRun: steps are reported, not executed.</summary>
    DryRun,
    /// <summary>The compaction interval has not passed.</summary>
    CompactionNotDue,
    /// <summary>All history is younger than the retention.</summary>
    HistoryWithinRetention,
    /// <summary>spec.compaction.mode is Disabled.</summary>
    CompactionDisabled,
    /// <summary>History is already compacted as far as the policy allows.</summary>
    NothingToCompact,
    /// <summary>A learner is never defragmented.</summary>
    LearnerSkipped,
    /// <summary>Outside spec.defragmentation.schedule's window.</summary>
    OutsideDefragWindow,
    /// <summary>No member meets the defragmentation rule.</summary>
    DefragNotNeeded,
    /// <summary>Defragmentation is refused for safety (unhealthy member, no leader, quorum).</summary>
    DefragBlocked,
    /// <summary>A member runs an etcd version that a crash during an online defragmentation can leave inconsistent; it is not defragmented.</summary>
    UnsafeEtcdVersion,
    /// <summary>A NOSPACE alarm is active.</summary>
    NoSpaceAlarm,
    /// <summary>A member's quota is not known, so the disarm ratio cannot be checked.</summary>
    QuotaUnknown,
    /// <summary>NOSPACE stays after everything the policy allows.</summary>
    NoSpacePersists,
    /// <summary>Members are below the ratio but spec.alarms.disarmNoSpace is false.</summary>
    DisarmDisabled,
    /// <summary>A member crossed spec.alarms.preemptAboveQuotaRatio: acting as at NOSPACE before etcd refuses writes.</summary>
    Preempting,
    /// <summary>Prevention did all it may and the live data still fills the quota: a person must act.</summary>
    LiveDataFillsQuota,
    /// <summary>The kept state belonged to another cluster, or to revisions this cluster cannot have: dropped.</summary>
    KeptStateDropped,
    /// <summary>A member's defragmentation outlasted etcd's request timeout: writes through that member timed out meanwhile.</summary>
    SlowDefragmentation,
    /// <summary>Another process holds the etcd cluster's maintenance lock: this policy waits, and says for whom.</summary>
    MaintainedElsewhere,
    /// <summary>Nobody holds the cluster's lock and etcd refuses the writes that take it (NOSPACE): the recovery goes ahead without it.</summary>
    ActingWithoutClusterLock,
    /// <summary>The right to act (the cluster lock, the operator's Lease) was not known held right before a request: the cycle stopped.</summary>
    ActingRightLost,
    /// <summary>The kept state could not be saved before a defragmentation: the cycle stopped rather than act unrecorded.</summary>
    ProgressNotSaved,
}
