using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>
/// How a policy's findings are told: log lines for <c>run</c>, conditions and events for the
/// operator. The other of the two things a front end gives the <see cref="PolicySupervisor"/>.
/// Implementations log their own failures rather than throw: telling must never stop a recovery.
/// </summary>
public interface IFindingsAnnouncer
{
    /// <summary>
    /// Just before a compaction at NOSPACE destroys the history that shows what filled the
    /// database: what the analysis read of it.
    /// </summary>
    Task BeforeNoSpaceCompactionAsync(HygienePolicy policy, ChurnFindings findings);

    /// <summary>After each cycle: what it saw and did, and what the analysis finds now.</summary>
    Task CycleFinishedAsync(HygienePolicy policy, CycleResult result, ChurnFindings findings);
}
