namespace EtcdHygiene.Core.Policy;

/// <summary>The condition types a RegistryPolicy's status carries (metav1.Condition's <c>type</c>).</summary>
public static class ConditionType
{
    /// <summary>The last cycle succeeded and no alarm is active.</summary>
    public const string Ready = nameof(Ready);
    /// <summary>A member is unreachable or unhealthy.</summary>
    public const string Degraded = nameof(Degraded);
    /// <summary>The last cycle executed steps.</summary>
    public const string Progressing = nameof(Progressing);
    /// <summary>A member is above spec.defragmentation.rule.quotaUsageAbove.</summary>
    public const string QuotaPressure = nameof(QuotaPressure);
    /// <summary>A NOSPACE alarm is active: etcd refuses writes.</summary>
    public const string NoSpaceAlarm = nameof(NoSpaceAlarm);
    /// <summary>Defragmentation is refused for safety.</summary>
    public const string DefragBlocked = nameof(DefragBlocked);
    /// <summary>A key group rewrites unchanged content often.</summary>
    public const string ChurnDetected = nameof(ChurnDetected);
    /// <summary>The spec cannot be acted on.</summary>
    public const string InvalidSpec = nameof(InvalidSpec);
}
