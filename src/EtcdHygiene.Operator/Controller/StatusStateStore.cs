using EtcdHygiene.Core.Planning;
using EtcdHygiene.Operator.Controller.Status;
using EtcdHygiene.Operator.Supervision;

namespace EtcdHygiene.Operator.Controller;

/// <summary>The operator's state store: the kept state lives in the RegistryPolicy's status.</summary>
public sealed class StatusStateStore(PolicyStatusWriter status) : IPolicyStateStore
{
    /// <inheritdoc />
    public Task<HygieneState> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(StatusChanges.StateFrom(status.Current));

    /// <inheritdoc />
    public Task SaveAsync(HygieneState state) => status.ApplyAsync(StatusChanges.WithState(state));
}
