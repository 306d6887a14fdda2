namespace EtcdHygiene.Core.Api;

/// <summary>The CamelCase reasons of the conditions in a RegistryPolicy's status, by condition.</summary>
public readonly record struct ConditionReason(string Value)
{
    // Ready
    /// <summary>Ready: the last cycle succeeded.</summary>
    public static readonly ConditionReason CycleSucceeded = new(nameof(CycleSucceeded));
    /// <summary>Ready: a step of the last cycle failed.</summary>
    public static readonly ConditionReason StepFailed = new(nameof(StepFailed));
    /// <summary>Ready: a member raised CORRUPT.</summary>
    public static readonly ConditionReason CorruptAlarm = new(nameof(CorruptAlarm));
    /// <summary>Ready: NOSPACE is active.</summary>
    public static readonly ConditionReason NoSpaceAlarm = new(nameof(NoSpaceAlarm));
    /// <summary>Ready: the cluster or its alarms could not be observed.</summary>
    public static readonly ConditionReason ClusterUnreachable = new(nameof(ClusterUnreachable));
    /// <summary>Ready: the policy is outside what the administrator lets its namespace maintain (the operator's tenancy rules).</summary>
    public static readonly ConditionReason NotAllowed = new(nameof(NotAllowed));
    /// <summary>Ready: a Secret the policy names is missing or incomplete.</summary>
    public static readonly ConditionReason SecretUnavailable = new(nameof(SecretUnavailable));

    // Degraded
    /// <summary>Degraded: a member is unreachable or unhealthy.</summary>
    public static readonly ConditionReason MemberUnavailable = new(nameof(MemberUnavailable));
    /// <summary>Degraded (False): every member answers.</summary>
    public static readonly ConditionReason AllMembersHealthy = new(nameof(AllMembersHealthy));

    // Progressing
    /// <summary>Progressing: the last cycle executed steps.</summary>
    public static readonly ConditionReason StepsExecuted = new(nameof(StepsExecuted));
    /// <summary>Progressing (False): nothing to do.</summary>
    public static readonly ConditionReason Idle = new(nameof(Idle));
    /// <summary>Progressing (False): another process holds the etcd cluster's lock; this policy waits for it.</summary>
    public static readonly ConditionReason MaintainedElsewhere = new(nameof(MaintainedElsewhere));

    // QuotaPressure
    /// <summary>QuotaPressure: a member is above the quota usage threshold.</summary>
    public static readonly ConditionReason AboveQuotaUsageThreshold = new(nameof(AboveQuotaUsageThreshold));
    /// <summary>QuotaPressure (False).</summary>
    public static readonly ConditionReason BelowQuotaUsageThreshold = new(nameof(BelowQuotaUsageThreshold));

    // NoSpaceAlarm
    /// <summary>NoSpaceAlarm: active.</summary>
    public static readonly ConditionReason NoSpaceActive = new(nameof(NoSpaceActive));
    /// <summary>NoSpaceAlarm (False).</summary>
    public static readonly ConditionReason NoAlarm = new(nameof(NoAlarm));

    // DefragBlocked
    /// <summary>DefragBlocked: refused for safety.</summary>
    public static readonly ConditionReason DefragBlocked = new(nameof(DefragBlocked));
    /// <summary>DefragBlocked (False).</summary>
    public static readonly ConditionReason NotBlocked = new(nameof(NotBlocked));

    // InvalidSpec
    /// <summary>InvalidSpec, and Ready False: the spec cannot be acted on.</summary>
    public static readonly ConditionReason InvalidSpec = new(nameof(InvalidSpec));
    /// <summary>InvalidSpec (False).</summary>
    public static readonly ConditionReason SpecValid = new(nameof(SpecValid));

    // ChurnDetected
    /// <summary>ChurnDetected: a group rewrites unchanged content.</summary>
    public static readonly ConditionReason NoOpRewrites = new(nameof(NoOpRewrites));
    /// <summary>ChurnDetected (False).</summary>
    public static readonly ConditionReason NoChurn = new(nameof(NoChurn));
    /// <summary>ChurnDetected (False): the policy analyses no prefixes.</summary>
    public static readonly ConditionReason AnalysisDisabled = new(nameof(AnalysisDisabled));
    /// <summary>ChurnDetected (Unknown): the analysis cannot read etcd.</summary>
    public static readonly ConditionReason AnalysisUnavailable = new(nameof(AnalysisUnavailable));

    /// <summary>The wire value.</summary>
    public override string ToString() => Value;

    /// <summary>Read as the wire string (status objects and tests compare strings); the other way needs <c>new</c>, so a reason never passes for a type.</summary>
    public static implicit operator string(ConditionReason value) => value.Value;
}
