using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Controller.Status;
using EtcdHygiene.Operator.Supervision;

namespace EtcdHygiene.Operator.Controller;

/// <summary>The operator's state store: the kept state lives in the RegistryPolicy's status.</summary>
public sealed class StatusStateStore(PolicyStatusWriter status) : IPolicyStateStore
{
    /// <inheritdoc />
    public Task<HygieneState> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(KeptStateStatus.Read(status.Current));

    /// <inheritdoc />
    public async Task SaveAsync(HygieneState state)
    {
        try
        {
            await status.ApplyAsync(StatusChanges.WithState(state));
        }
        catch (StatusConflictException e)
        {
            throw new StateTakenOverException($"{e.Message}; this replica stops acting on the policy", e);
        }
    }
}
