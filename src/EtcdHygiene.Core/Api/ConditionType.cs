namespace EtcdHygiene.Core.Api;

/// <summary>The condition types a RegistryPolicy's status carries (metav1.Condition's <c>type</c>).</summary>
public readonly record struct ConditionType(string Value)
{
    /// <summary>The last cycle succeeded and no alarm is active.</summary>
    public static readonly ConditionType Ready = new(nameof(Ready));
    /// <summary>A member is unreachable or unhealthy.</summary>
    public static readonly ConditionType Degraded = new(nameof(Degraded));
    /// <summary>The last cycle executed steps.</summary>
    public static readonly ConditionType Progressing = new(nameof(Progressing));
    /// <summary>A member is above spec.defragmentation.rule.quotaUsageAbove.</summary>
    public static readonly ConditionType QuotaPressure = new(nameof(QuotaPressure));
    /// <summary>A NOSPACE alarm is active: etcd refuses writes.</summary>
    public static readonly ConditionType NoSpaceAlarm = new(nameof(NoSpaceAlarm));
    /// <summary>Defragmentation is refused for safety.</summary>
    public static readonly ConditionType DefragBlocked = new(nameof(DefragBlocked));
    /// <summary>A key group rewrites unchanged content often.</summary>
    public static readonly ConditionType ChurnDetected = new(nameof(ChurnDetected));
    /// <summary>The spec cannot be acted on.</summary>
    public static readonly ConditionType InvalidSpec = new(nameof(InvalidSpec));

    /// <summary>The wire value.</summary>
    public override string ToString() => Value;

    /// <summary>Read as the wire string (status objects and tests compare strings); the other way needs <c>new</c>, so a reason never passes for a type.</summary>
    public static implicit operator string(ConditionType value) => value.Value;
}
