namespace EtcdHygiene.Operator.Supervision.Lanes;

/// <summary>
/// What entitles this whole process to act, besides each cluster's lock: for the operator, its
/// Lease. Checked right before every mutating request (safety rule 9).
/// </summary>
public interface IActingRight
{
    /// <summary>Null while the right is known held; else why not.</summary>
    string? WhyNotHeld();
}
