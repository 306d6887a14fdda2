using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Api;

/// <summary>
/// A RegistryPolicy as written by people: the Kubernetes manifest a user would <c>kubectl apply</c>,
/// with quantities and durations still as text. <see cref="PolicyValidator"/> turns it into a
/// <see cref="HygienePolicy"/> or into the list of everything wrong with it.
/// </summary>
public sealed class RegistryPolicyManifest
{
    /// <summary>The API group and version this build understands.</summary>
    public const string ExpectedApiVersion = "etcdhygiene.io/v1alpha1";

    /// <summary>The kind this build understands.</summary>
    public const string ExpectedKind = "RegistryPolicy";

    /// <summary>Must be <see cref="ExpectedApiVersion"/>.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>Must be <see cref="ExpectedKind"/>.</summary>
    public string? Kind { get; set; }

    /// <summary>Name, namespace and generation.</summary>
    public PolicyMetadata Metadata { get; set; } = new();

    /// <summary>What the user asks for.</summary>
    [Required]
    public RegistryPolicySpec? Spec { get; set; }

    /// <summary>What the operator last saw and did.</summary>
    public RegistryPolicyStatus? Status { get; set; }
}

/// <summary>The metadata fields the policy uses.</summary>
public sealed class PolicyMetadata
{
    /// <summary>The policy name.</summary>
    public string? Name { get; set; }

    /// <summary>The namespace; "default" when absent.</summary>
    public string? Namespace { get; set; }

    /// <summary>Bumped by Kubernetes on every spec change.</summary>
    public long? Generation { get; set; }

    /// <summary>Labels (kept so that a manifest round-trips).</summary>
    public Dictionary<string, string>? Labels { get; set; }
}

/// <summary><c>spec</c> of a RegistryPolicy.</summary>
public sealed class RegistryPolicySpec
{
    /// <summary>How to reach the etcd cluster.</summary>
    [Required]
    public EtcdSpec? Etcd { get; set; }

    /// <summary>History compaction.</summary>
    [DefaultObject]
    public CompactionSpec? Compaction { get; set; }

    /// <summary>Defragmentation rule, window and order.</summary>
    [DefaultObject]
    public DefragmentationSpec? Defragmentation { get; set; }

    /// <summary>NOSPACE handling.</summary>
    [DefaultObject]
    public AlarmsSpec? Alarms { get; set; }

    /// <summary>Churn analysis (root cause).</summary>
    [DefaultObject]
    public AnalysisSpec? Analysis { get; set; }

    /// <summary>Observe and report, act on nothing.</summary>
    [DefaultValue(false)]
    public bool? Suspend { get; set; }

    /// <summary>Do everything but the mutating RPCs.</summary>
    [DefaultValue(false)]
    public bool? DryRun { get; set; }
}

/// <summary><c>spec.etcd</c>.</summary>
[CelRule("!has(self.requestTimeout) || !has(self.defragTimeout) || duration(self.defragTimeout) >= duration(self.requestTimeout)",
    "defragTimeout must not be shorter than requestTimeout")]
public sealed class EtcdSpec
{
    /// <summary>Client URLs; members are found through MemberList.</summary>
    [Required]
    [ItemCount(PolicyBounds.Endpoints, Minimum = 1)]
    [StringLength(PolicyBounds.EndpointLength)]
    [TextFormat(TextFormat.Url)]
    public List<string>? Endpoints { get; set; }

    /// <summary>Secret with ca.crt, tls.crt, tls.key (Kubernetes mode).</summary>
    public SecretReference? TlsSecretRef { get; set; }

    /// <summary>Secret with username and password (Kubernetes mode).</summary>
    public SecretReference? CredentialsSecretRef { get; set; }

    /// <summary>The backend quota, e.g. 2Gi, when etcd does not tell it.</summary>
    [TextFormat(TextFormat.Quantity)]
    [JsonConverter(typeof(QuantityJsonConverter))]
    public string? QuotaBackendBytes { get; set; }

    /// <summary>Timeout of ordinary RPCs, e.g. 10s.</summary>
    [TextFormat(TextFormat.Duration)]
    [DefaultValue(PolicyDefaults.RequestTimeout)]
    public string? RequestTimeout { get; set; }

    /// <summary>Timeout of a defragmentation or physical compaction, e.g. 5m.</summary>
    [TextFormat(TextFormat.Duration)]
    [DefaultValue(PolicyDefaults.DefragTimeout)]
    public string? DefragTimeout { get; set; }

    /// <summary>
    /// Key prefix of the lock, held in this etcd cluster, that lets one process at a time maintain
    /// it (any process, replica or install). Every tool that maintains the cluster must name the same prefix.
    /// </summary>
    [StringLength(PolicyBounds.KeyPrefixLength, MinimumLength = 2)]
    [DefaultValue(PolicyDefaults.LockPrefix)]
    public string? LockPrefix { get; set; }
}

/// <summary>A reference to a Secret in the policy's namespace.</summary>
public sealed class SecretReference
{
    /// <summary>The Secret's name.</summary>
    [Required]
    [StringLength(253, MinimumLength = 1)]
    public string? Name { get; set; }
}

/// <summary><c>spec.compaction</c>.</summary>
public sealed class CompactionSpec
{
    /// <summary>Periodic, Revision or Disabled.</summary>
    [AllowedValues("Periodic", "Revision", "Disabled")]
    [DefaultValue(PolicyDefaults.CompactionMode)]
    public string? Mode { get; set; }

    /// <summary>Periodic: how much history to keep, e.g. 1h.</summary>
    [TextFormat(TextFormat.Duration)]
    [DefaultValue(PolicyDefaults.Retention)]
    public string? Retention { get; set; }

    /// <summary>Revision: how many revisions to keep.</summary>
    [Range(1, long.MaxValue)]
    [DefaultValue(PolicyDefaults.RetainRevisions)]
    public long? RetainRevisions { get; set; }

    /// <summary>At most one compaction per interval, e.g. 5m.</summary>
    [TextFormat(TextFormat.Duration)]
    [DefaultValue(PolicyDefaults.Interval)]
    public string? Interval { get; set; }
}

/// <summary><c>spec.defragmentation</c>.</summary>
[CelRule("!has(self.windowDuration) || has(self.schedule)", "windowDuration needs a schedule: without one, defragmentation may run at any time")]
[CelRule("!has(self.schedule) || self.schedule.matches('" + PolicyBounds.CronCelPattern + "')",
    "schedule must be a cron expression of five fields (minute hour day-of-month month day-of-week, in UTC), e.g. \"0 3 * * *\" for 03:00 every day, or a macro such as @daily",
    FieldPath = ".schedule")]
public sealed class DefragmentationSpec
{
    /// <summary>When a member is worth defragmenting.</summary>
    [DefaultObject]
    public DefragRuleSpec? Rule { get; set; }

    /// <summary>Optional cron expression (UTC) opening a defragmentation window.</summary>
    [StringLength(PolicyBounds.ScheduleLength)]
    public string? Schedule { get; set; }

    /// <summary>How long the window stays open after each cron occurrence, e.g. 2h; 1h when a schedule is set without it.</summary>
    [TextFormat(TextFormat.Duration)]
    public string? WindowDuration { get; set; }

    /// <summary>Hand leadership away before defragmenting the leader. Off by default: etcd drops the writes in flight while leadership moves.</summary>
    [DefaultValue(PolicyDefaults.MoveLeader)]
    public bool? MoveLeader { get; set; }

    /// <summary>Pause between two members, e.g. 10s.</summary>
    [TextFormat(TextFormat.Duration)]
    [DefaultValue(PolicyDefaults.PauseBetweenMembers)]
    public string? PauseBetweenMembers { get; set; }

    /// <summary>Defragment members whose etcd version a crash during an online defragmentation can leave inconsistent (before 3.4.22 and 3.5.6): only after upgrading is impossible and backups exist.</summary>
    [DefaultValue(PolicyDefaults.AllowUnsafeEtcdVersions)]
    public bool? AllowUnsafeEtcdVersions { get; set; }
}

/// <summary><c>spec.defragmentation.rule</c>.</summary>
public sealed class DefragRuleSpec
{
    /// <summary>Share of the file not in use, 0..1.</summary>
    [Range(0.0, 1.0)]
    [DefaultValue(PolicyDefaults.MinFragmentationRatio)]
    public double? MinFragmentationRatio { get; set; }

    /// <summary>Smallest database worth defragmenting, e.g. 100Mi.</summary>
    [TextFormat(TextFormat.Quantity)]
    [JsonConverter(typeof(QuantityJsonConverter))]
    [DefaultValue(PolicyDefaults.MinDbSizeBytes)]
    public string? MinDbSizeBytes { get; set; }

    /// <summary>Smallest gain worth a stop-the-world, e.g. 32Mi.</summary>
    [TextFormat(TextFormat.Quantity)]
    [JsonConverter(typeof(QuantityJsonConverter))]
    [DefaultValue(PolicyDefaults.MinReclaimableBytes)]
    public string? MinReclaimableBytes { get; set; }

    /// <summary>Defragment regardless of fragmentation once this share of the quota is used, 0..1.</summary>
    [Range(0.0, 1.0)]
    [DefaultValue(PolicyDefaults.QuotaUsageAbove)]
    public double? QuotaUsageAbove { get; set; }
}

/// <summary><c>spec.alarms</c>.</summary>
[CelRule("!has(self.preemptAboveQuotaRatio) || self.preemptAboveQuotaRatio == 0.0 || self.preemptAboveQuotaRatio > (has(self.disarmBelowQuotaRatio) ? self.disarmBelowQuotaRatio : default(disarmBelowQuotaRatio))",
    "preemptAboveQuotaRatio must be above disarmBelowQuotaRatio, or 0 to turn prevention off")]
[CelRule("!has(self.checkInterval) || duration(self.checkInterval) >= duration('" + PolicyBounds.MinCheckInterval + "')",
    "checkInterval must be at least " + PolicyBounds.MinCheckInterval + ": every check reads every member's Status")]
public sealed class AlarmsSpec
{
    /// <summary>Disarm NOSPACE when safe.</summary>
    [DefaultValue(PolicyDefaults.DisarmNoSpace)]
    public bool? DisarmNoSpace { get; set; }

    /// <summary>Disarm only when every member is below this share of the quota, 0..1.</summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    [DefaultValue(PolicyDefaults.DisarmBelowQuotaRatio)]
    public double? DisarmBelowQuotaRatio { get; set; }

    /// <summary>RetentionOnly or Latest.</summary>
    [AllowedValues("RetentionOnly", "Latest")]
    [DefaultValue(PolicyDefaults.EmergencyCompaction)]
    public string? EmergencyCompaction { get; set; }

    /// <summary>
    /// How often the watch reads every member's Status between cycles, e.g. 2s: a NOSPACE or
    /// CORRUPT alarm, or a member crossing quotaUsageAbove or preemptAboveQuotaRatio, starts a
    /// cycle at once instead of at the next compaction interval.
    /// </summary>
    [TextFormat(TextFormat.Duration)]
    [DefaultValue(PolicyDefaults.CheckInterval)]
    public string? CheckInterval { get; set; }

    /// <summary>
    /// Act as at NOSPACE when a member's file reaches this share of its quota, before etcd refuses
    /// writes; 0 turns prevention off. Must be above disarmBelowQuotaRatio.
    /// </summary>
    [Range(0.0, 1.0)]
    [DefaultValue(PolicyDefaults.PreemptAboveQuotaRatio)]
    public double? PreemptAboveQuotaRatio { get; set; }
}

/// <summary><c>spec.analysis</c>.</summary>
public sealed class AnalysisSpec
{
    /// <summary>Key prefixes to analyse.</summary>
    [ItemCount(PolicyBounds.Prefixes)]
    [StringLength(PolicyBounds.KeyPrefixLength)]
    public List<string>? Prefixes { get; set; }

    /// <summary>Rate window, e.g. 10m.</summary>
    [TextFormat(TextFormat.Duration)]
    [DefaultValue(PolicyDefaults.AnalysisWindow)]
    public string? Window { get; set; }

    /// <summary>How many key groups to report.</summary>
    [Range(1, 100)]
    [DefaultValue(PolicyDefaults.TopKeys)]
    public int? TopKeys { get; set; }

    /// <summary>
    /// Group keys by this many leading path segments (2: /micro/registry/*); by default a key's
    /// group is its parent path (/micro/registry/greeter/*), never deeper.
    /// </summary>
    [Range(0, 32)]
    public int? GroupDepth { get; set; }
}
