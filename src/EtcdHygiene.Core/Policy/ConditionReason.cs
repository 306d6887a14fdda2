namespace EtcdHygiene.Core.Policy;

/// <summary>The CamelCase reasons of the conditions in a RegistryPolicy's status, by condition.</summary>
public static class ConditionReason
{
    // Ready
    /// <summary>Ready: the last cycle succeeded.</summary>
    public const string CycleSucceeded = nameof(CycleSucceeded);
    /// <summary>Ready: a step of the last cycle failed.</summary>
    public const string StepFailed = nameof(StepFailed);
    /// <summary>Ready: a member raised CORRUPT.</summary>
    public const string CorruptAlarm = nameof(CorruptAlarm);
    /// <summary>Ready: NOSPACE is active.</summary>
    public const string NoSpaceAlarm = nameof(NoSpaceAlarm);
    /// <summary>Ready: the cluster or its alarms could not be observed.</summary>
    public const string ClusterUnreachable = nameof(ClusterUnreachable);
    /// <summary>Ready: the policy is outside what the administrator lets its namespace maintain (the operator's tenancy rules).</summary>
    public const string NotAllowed = nameof(NotAllowed);
    /// <summary>Ready: a Secret the policy names is missing or incomplete.</summary>
    public const string SecretUnavailable = nameof(SecretUnavailable);

    // Degraded
    /// <summary>Degraded: a member is unreachable or unhealthy.</summary>
    public const string MemberUnavailable = nameof(MemberUnavailable);
    /// <summary>Degraded (False): every member answers.</summary>
    public const string AllMembersHealthy = nameof(AllMembersHealthy);

    // Progressing
    /// <summary>Progressing: the last cycle executed steps.</summary>
    public const string StepsExecuted = nameof(StepsExecuted);
    /// <summary>Progressing (False): nothing to do.</summary>
    public const string Idle = nameof(Idle);
    /// <summary>Progressing (False): another process holds the etcd cluster's lock; this policy waits for it.</summary>
    public const string MaintainedElsewhere = nameof(MaintainedElsewhere);

    // QuotaPressure
    /// <summary>QuotaPressure: a member is above the quota usage threshold.</summary>
    public const string AboveQuotaUsageThreshold = nameof(AboveQuotaUsageThreshold);
    /// <summary>QuotaPressure (False).</summary>
    public const string BelowQuotaUsageThreshold = nameof(BelowQuotaUsageThreshold);

    // NoSpaceAlarm
    /// <summary>NoSpaceAlarm: active.</summary>
    public const string NoSpaceActive = nameof(NoSpaceActive);
    /// <summary>NoSpaceAlarm (False).</summary>
    public const string NoAlarm = nameof(NoAlarm);

    // DefragBlocked
    /// <summary>DefragBlocked: refused for safety.</summary>
    public const string DefragBlocked = nameof(DefragBlocked);
    /// <summary>DefragBlocked (False).</summary>
    public const string NotBlocked = nameof(NotBlocked);

    // InvalidSpec
    /// <summary>InvalidSpec, and Ready False: the spec cannot be acted on.</summary>
    public const string InvalidSpec = nameof(InvalidSpec);
    /// <summary>InvalidSpec (False).</summary>
    public const string SpecValid = nameof(SpecValid);

    // ChurnDetected
    /// <summary>ChurnDetected: a group rewrites unchanged content.</summary>
    public const string NoOpRewrites = nameof(NoOpRewrites);
    /// <summary>ChurnDetected (False).</summary>
    public const string NoChurn = nameof(NoChurn);
    /// <summary>ChurnDetected (False): the policy analyses no prefixes.</summary>
    public const string AnalysisDisabled = nameof(AnalysisDisabled);
    /// <summary>ChurnDetected (Unknown): the analysis cannot read etcd.</summary>
    public const string AnalysisUnavailable = nameof(AnalysisUnavailable);
}
