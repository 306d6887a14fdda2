namespace EtcdHygiene.Core.Planning;

/// <summary>The ordered steps for a cluster, and the notes explaining what is not done and why.</summary>
/// <param name="Steps">To execute in order, re-observing and re-planning between them.</param>
/// <param name="Notes">Refusals, waits and warnings.</param>
public sealed record HygienePlan(IReadOnlyList<HygieneStep> Steps, IReadOnlyList<PlanNote> Notes)
{
    /// <summary>True when something would be done.</summary>
    public bool HasSteps => Steps.Count > 0;
}
