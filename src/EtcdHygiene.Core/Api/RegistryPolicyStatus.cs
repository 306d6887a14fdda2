using System.ComponentModel.DataAnnotations;

namespace EtcdHygiene.Core.Api;

/// <summary><c>status</c> of a RegistryPolicy: what the operator last saw and did.</summary>
public sealed class RegistryPolicyStatus
{
    /// <summary>The spec generation this status describes.</summary>
    public long? ObservedGeneration { get; set; }

    /// <summary>The etcd cluster (hex id) the kept state below belongs to; state of another cluster is dropped, never trusted.</summary>
    public string? ClusterId { get; set; }

    /// <summary>Ready, Degraded, Progressing, QuotaPressure, NoSpaceAlarm, DefragBlocked, ChurnDetected, InvalidSpec.</summary>
    public List<PolicyCondition>? Conditions { get; set; }

    /// <summary>Every member as last observed.</summary>
    public List<MemberStatusEntry>? Members { get; set; }

    /// <summary>The cluster's revision at the last observation.</summary>
    public long? Revision { get; set; }

    /// <summary>The revision history is compacted up to.</summary>
    public long? CompactedRevision { get; set; }

    /// <summary>When the operator last compacted (RFC 3339).</summary>
    public string? LastCompactionTime { get; set; }

    /// <summary>The last defragmentation.</summary>
    public LastDefragStatus? LastDefrag { get; set; }

    /// <summary>
    /// A defragmentation started and not seen to succeed (the operator stopped during it, or it
    /// failed): the pause before the next member counts from its start.
    /// </summary>
    public UnfinishedDefragStatus? UnfinishedDefrag { get; set; }

    /// <summary>Physical size of the largest member, for people (e.g. "1.2 GiB").</summary>
    public string? LargestDbSize { get; set; }

    /// <summary>The highest quota usage of any member, in percent.</summary>
    public int? QuotaPercent { get; set; }

    /// <summary>Active alarms, e.g. "NOSPACE", empty when none.</summary>
    public string? Alarm { get; set; }

    /// <summary>When prevention last found the live data itself filling the quota (RFC 3339); it is not tried again until every member is below the disarm ratio.</summary>
    public string? PreventionGaveUpAt { get; set; }

    /// <summary>Revision samples kept for Periodic compaction, so a restarted operator compacts on time.</summary>
    public List<RevisionSampleStatus>? RevisionSamples { get; set; }

    /// <summary>Growth of the largest member and when it reaches the quota at that rate.</summary>
    public ForecastStatus? Forecast { get; set; }

    /// <summary>The key groups wasting most over spec.analysis.window (most no-op writes first), with the JSON paths that flip.</summary>
    public List<HotKeyStatus>? HotKeys { get; set; }
}

/// <summary>The growth forecast.</summary>
public sealed class ForecastStatus
{
    /// <summary>Fitted growth of the largest member's backend file over the last hour (negative when shrinking).</summary>
    public long? BytesPerHour { get; set; }

    /// <summary>When the fitted growth reaches the quota (RFC 3339); absent when not growing or not within a year.</summary>
    public string? QuotaReachedAt { get; set; }
}

/// <summary>One key group as the churn analysis ranks it.</summary>
public sealed class HotKeyStatus
{
    /// <summary>The group, e.g. /micro/registry/greeter/*.</summary>
    public string? KeyGroup { get; set; }

    /// <summary>Writes counted over the window.</summary>
    public long? Writes { get; set; }

    /// <summary>Writes a minute, rounded; absent while the covered time is unknown.</summary>
    public long? WritesPerMinute { get; set; }

    /// <summary>Share of writes repeating the same bytes, as a decimal string (e.g. "0.02").</summary>
    public string? IdenticalRatio { get; set; }

    /// <summary>Share of writes that only reorder JSON arrays or members, as a decimal string.</summary>
    public string? ReorderOnlyRatio { get; set; }

    /// <summary>Share of writes re-creating the key unchanged under a new lease, as a decimal string.</summary>
    public string? LeaseRecreatedRatio { get; set; }

    /// <summary>Approximate history the group adds an hour, in bytes; absent while the covered time is unknown.</summary>
    public long? HistoryBytesPerHour { get; set; }

    /// <summary>Writes that changed nothing readers see (identical, reorder-only, lease re-created): what the ranking goes by.</summary>
    public long? NoOpWrites { get; set; }

    /// <summary>Share of writes that really changed the value, as a decimal string.</summary>
    public string? ChangedRatio { get; set; }

    /// <summary>Share of the history all analysed writes created that this group's writes created, as a decimal string.</summary>
    public string? HistoryShare { get; set; }

    /// <summary>True when the group churns: at least half its writes are no-ops, and they come at least once a second.</summary>
    public bool? Churning { get; set; }

    /// <summary>For a churning group, the sentence a person acts on: what flips and what the writer should change.</summary>
    public string? Diagnosis { get; set; }

    /// <summary>The JSON paths the group's sampled reorder-only and changed writes flip, most first.</summary>
    public List<FlippingPathStatus>? FlippingPaths { get; set; }
}

/// <summary>A JSON path a key group's writes flip, from a sample of its writes.</summary>
public sealed class FlippingPathStatus
{
    /// <summary>The JSONPath, e.g. $.endpoints or $.nodes[0].metadata.load.</summary>
    public string? Path { get; set; }

    /// <summary>Reordered (same elements or members, another order) or Changed.</summary>
    [AllowedValues("Reordered", "Changed")]
    public string? Kind { get; set; }

    /// <summary>Sampled writes that flipped it.</summary>
    public long? Writes { get; set; }

    /// <summary>Sampled writes of the same kind (reorder-only for Reordered, changed for Changed).</summary>
    public long? Examined { get; set; }

    /// <summary>A short excerpt of the previous value there (strings cut, secret-looking members hidden).</summary>
    public string? Before { get; set; }

    /// <summary>A short excerpt of the new value there.</summary>
    public string? After { get; set; }

    /// <summary>For a reordered array: fields the elements that swap places agree on (the likely sort key).</summary>
    public List<string>? AgreeOn { get; set; }

    /// <summary>For a reordered array: a field that tells the swapped elements apart (a sort key without ties).</summary>
    public string? DifferOn { get; set; }
}

/// <summary>A condition in the shape of metav1.Condition.</summary>
public sealed class PolicyCondition
{
    /// <summary>The condition type, e.g. Ready.</summary>
    [Required]
    public string? Type { get; set; }

    /// <summary>True, False or Unknown.</summary>
    [Required]
    [AllowedValues(nameof(ConditionStatus.True), nameof(ConditionStatus.False), nameof(ConditionStatus.Unknown))]
    public string? Status { get; set; }

    /// <summary>CamelCase reason.</summary>
    public string? Reason { get; set; }

    /// <summary>What a person reads.</summary>
    public string? Message { get; set; }

    /// <summary>The generation the condition was set for.</summary>
    public long? ObservedGeneration { get; set; }

    /// <summary>When the status last flipped (RFC 3339).</summary>
    public string? LastTransitionTime { get; set; }
}

/// <summary>One member in status.</summary>
public sealed class MemberStatusEntry
{
    /// <summary>Member id in hex, as etcdctl prints it.</summary>
    public string? Id { get; set; }

    /// <summary>Member name.</summary>
    public string? Name { get; set; }

    /// <summary>The URL the member was reached at.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Leads the cluster.</summary>
    public bool? IsLeader { get; set; }

    /// <summary>Non-voting.</summary>
    public bool? IsLearner { get; set; }

    /// <summary>The etcd version the member reports, e.g. 3.5.30.</summary>
    public string? Version { get; set; }

    /// <summary>Physical backend size.</summary>
    public long? DbSizeBytes { get; set; }

    /// <summary>Bytes holding live data.</summary>
    public long? DbSizeInUseBytes { get; set; }

    /// <summary>1 - inUse / size, as a decimal string (e.g. "0.62"): CRDs discourage floats.</summary>
    public string? FragmentationRatio { get; set; }

    /// <summary>size / quota, as a decimal string.</summary>
    public string? QuotaUsageRatio { get; set; }

    /// <summary>Alarms this member raised.</summary>
    public List<string>? Alarms { get; set; }

    /// <summary>When the operator last defragmented it (RFC 3339).</summary>
    public string? LastDefragTime { get; set; }
}

/// <summary>The last defragmentation.</summary>
public sealed class LastDefragStatus
{
    /// <summary>When it finished (RFC 3339).</summary>
    public string? Time { get; set; }

    /// <summary>Bytes it gave back.</summary>
    public long? ReclaimedBytes { get; set; }
}

/// <summary>A defragmentation whose end was not seen.</summary>
public sealed class UnfinishedDefragStatus
{
    /// <summary>Member id in hex.</summary>
    public string? MemberId { get; set; }

    /// <summary>Member name.</summary>
    public string? MemberName { get; set; }

    /// <summary>When the request was sent (RFC 3339).</summary>
    public string? StartedAt { get; set; }

    /// <summary>When the member was seen answering again, so the defragmentation was over (RFC 3339); the pause counts from then.</summary>
    public string? SeenOverAt { get; set; }
}

/// <summary>A kept revision sample.</summary>
public sealed class RevisionSampleStatus
{
    /// <summary>When (RFC 3339).</summary>
    public string? Time { get; set; }

    /// <summary>The revision then.</summary>
    public long? Revision { get; set; }
}
