namespace EtcdHygiene.Core.Api;

/// <summary>
/// metav1.Condition rules for status: one condition per type, lastTransitionTime moves only when
/// the status flips, so "since when" stays true across reconciles.
/// </summary>
public static class Conditions
{
    /// <summary>Sets <paramref name="type"/> to True or False.</summary>
    public static void Set(List<PolicyCondition> conditions, ConditionType type, bool holds, ConditionReason reason, string message, long generation, DateTimeOffset now) =>
        Set(conditions, type, ConditionStatus.Of(holds), reason, message, generation, now);

    /// <summary>Sets <paramref name="type"/> to <paramref name="status"/>, keeping the transition time unless it flips.</summary>
    public static void Set(List<PolicyCondition> conditions, ConditionType type, ConditionStatus status, ConditionReason reason, string message, long generation, DateTimeOffset now)
    {
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        var transition = existing?.Status == status ? existing.LastTransitionTime : StatusTime.Write(now);
        conditions.RemoveAll(c => c.Type == type);
        conditions.Add(new PolicyCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            ObservedGeneration = generation,
            LastTransitionTime = transition,
        });
    }
}
