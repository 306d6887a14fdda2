namespace EtcdHygiene.Core.Policy;

/// <summary>
/// The defaults of the RegistryPolicy API as written in manifests, in one place: the CRD publishes
/// them and the validator parses them, so the two cannot drift apart.
/// </summary>
public static class PolicyDefaults
{
    /// <summary>spec.etcd.requestTimeout.</summary>
    public const string RequestTimeout = "10s";
    /// <summary>spec.etcd.defragTimeout.</summary>
    public const string DefragTimeout = "5m";
    /// <summary>spec.etcd.lockPrefix.</summary>
    public const string LockPrefix = "/etcd-hygiene/maintainer/";
    /// <summary>spec.compaction.mode.</summary>
    public const string CompactionMode = "Periodic";
    /// <summary>spec.compaction.retention.</summary>
    public const string Retention = "1h";
    /// <summary>spec.compaction.retainRevisions.</summary>
    public const long RetainRevisions = 10_000;
    /// <summary>spec.compaction.interval.</summary>
    public const string Interval = "5m";
    /// <summary>spec.defragmentation.rule.minFragmentationRatio.</summary>
    public const double MinFragmentationRatio = 0.45;
    /// <summary>spec.defragmentation.rule.minDbSizeBytes.</summary>
    public const string MinDbSizeBytes = "100Mi";
    /// <summary>spec.defragmentation.rule.minReclaimableBytes.</summary>
    public const string MinReclaimableBytes = "32Mi";
    /// <summary>spec.defragmentation.rule.quotaUsageAbove.</summary>
    public const double QuotaUsageAbove = 0.8;
    /// <summary>spec.defragmentation.windowDuration when a schedule is set (not published as a CRD default: it needs a schedule).</summary>
    public const string WindowDuration = "1h";
    /// <summary>
    /// spec.defragmentation.moveLeader. Off: etcd drops the proposals in flight while leadership
    /// moves, and clientv3 does not retry them, so a transfer under registry writes loses puts on
    /// etcd 3.4 and 3.5 alike (README, Performance); the leader defragmented in place, last, makes
    /// only its own clients wait, as long as etcdctl makes them.
    /// </summary>
    public const bool MoveLeader = false;
    /// <summary>spec.defragmentation.pauseBetweenMembers.</summary>
    public const string PauseBetweenMembers = "10s";
    /// <summary>spec.defragmentation.allowUnsafeEtcdVersions.</summary>
    public const bool AllowUnsafeEtcdVersions = false;
    /// <summary>spec.alarms.disarmNoSpace.</summary>
    public const bool DisarmNoSpace = true;
    /// <summary>spec.alarms.disarmBelowQuotaRatio.</summary>
    public const double DisarmBelowQuotaRatio = 0.8;
    /// <summary>spec.alarms.emergencyCompaction.</summary>
    public const string EmergencyCompaction = "Latest";

    /// <summary>
    /// spec.alarms.checkInterval: how often the watch reads every member's Status between cycles.
    /// At 2 s a NOSPACE is acted on within about 2 s, and 100 idle policies cost a few percent
    /// of a core (README, Performance).
    /// </summary>
    public const string CheckInterval = "2s";

    /// <summary>spec.alarms.preemptAboveQuotaRatio: close enough to the quota that waiting for etcd's own alarm would cost registrations.</summary>
    public const double PreemptAboveQuotaRatio = 0.95;
    /// <summary>spec.analysis.window.</summary>
    public const string AnalysisWindow = "10m";
    /// <summary>spec.analysis.topKeys.</summary>
    public const int TopKeys = 10;
}
