namespace EtcdHygiene.Core.Planning;

/// <summary>The ordered steps for a cluster, and the notes explaining what is not done and why.</summary>
/// <param name="Steps">To execute in order, re-observing and re-planning between them.</param>
/// <param name="Notes">Refusals, waits and warnings.</param>
public sealed record HygienePlan(IReadOnlyList<HygieneStep> Steps, IReadOnlyList<PlanNote> Notes)
{
    /// <summary>
    /// Writes are refused (NOSPACE) or about to be (prevention): no pause between members, a
    /// health read of the member just defragmented instead, and a member that fails one
    /// observation is asked again before the cycle gives up.
    /// </summary>
    public bool Urgent { get; init; }

    /// <summary>True when this is prevention: acting as at NOSPACE before etcd raised it.</summary>
    public bool Preempting { get; init; }

    /// <summary>True when something would be done.</summary>
    public bool HasSteps => Steps.Count > 0;
}
