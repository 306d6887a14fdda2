using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Operator.Supervision;

namespace EtcdHygiene.Operator.Standalone;

/// <summary><c>run</c>'s state store: one policy's state file.</summary>
public sealed class StateFileStore(StateFiles files, PolicyKey key) : IPolicyStateStore
{
    /// <inheritdoc />
    public Task<HygieneState> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(files.Load(key));

    /// <inheritdoc />
    public Task SaveAsync(HygieneState state)
    {
        files.Save(key, state);
        return Task.CompletedTask;
    }
}
