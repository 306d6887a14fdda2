using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Operator.Supervision;

namespace EtcdHygiene.Operator.Standalone;

/// <summary>
/// <c>run</c>'s state store: one policy's state file. The file is read once; after that this
/// process is its only writer, so the state it saved last is the state it loads.
/// </summary>
public sealed class StateFileStore(StateFiles files, PolicyKey key) : IPolicyStateStore
{
    private HygieneState? _last;

    /// <inheritdoc />
    public Task<HygieneState> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(_last ??= files.Load(key));

    /// <inheritdoc />
    public Task SaveAsync(HygieneState state)
    {
        files.Save(key, state);
        _last = state;
        return Task.CompletedTask;
    }
}
