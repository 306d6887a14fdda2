using EtcdHygiene.Core.Planning;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>
/// Where a policy's kept state lives between cycles and across restarts: a state file for
/// <c>run</c>, the RegistryPolicy's status for the operator. One of the two things a front end
/// gives the <see cref="PolicySupervisor"/>.
/// </summary>
public interface IPolicyStateStore
{
    /// <summary>The state as last saved; a new one when there is none yet.</summary>
    Task<HygieneState> LoadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Saves the state: before each defragmentation, after each step, and at the end of a cycle.
    /// Must not wait on a cancelled shutdown: a step that ran is recorded.
    /// </summary>
    Task SaveAsync(HygieneState state);
}
