using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// metav1.Condition rules for status: one condition per type, lastTransitionTime moves only when
/// the status flips, so "since when" stays true across reconciles.
/// </summary>
public static class Conditions
{
    /// <summary>Condition types this operator sets.</summary>
    public const string Ready = "Ready", Degraded = "Degraded", Progressing = "Progressing", QuotaPressure = "QuotaPressure",
        NoSpaceAlarm = "NoSpaceAlarm", DefragBlocked = "DefragBlocked", ChurnDetected = "ChurnDetected", InvalidSpec = "InvalidSpec";

    /// <summary>Sets <paramref name="type"/> in <paramref name="conditions"/>, keeping the transition time unless the status flips.</summary>
    public static void Set(List<PolicyCondition> conditions, string type, bool status, string reason, string message, long generation, DateTimeOffset now) =>
        Set(conditions, type, status ? "True" : "False", reason, message, generation, now);

    /// <summary>Sets <paramref name="type"/> to True, False or Unknown (<paramref name="value"/>).</summary>
    public static void Set(List<PolicyCondition> conditions, string type, string value, string reason, string message, long generation, DateTimeOffset now)
    {
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        var transition = existing?.Status == value ? existing.LastTransitionTime : now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ");
        conditions.RemoveAll(c => c.Type == type);
        conditions.Add(new PolicyCondition
        {
            Type = type,
            Status = value,
            Reason = reason,
            Message = message,
            ObservedGeneration = generation,
            LastTransitionTime = transition,
        });
    }
}
