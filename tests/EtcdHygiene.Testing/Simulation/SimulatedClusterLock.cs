using EtcdHygiene.Etcd.Locking;

namespace EtcdHygiene.Testing.Simulation;

/// <summary>
/// The cluster lock over a <see cref="SimulatedEtcdCluster"/>, with <see cref="ClusterLock"/>'s
/// rules (<c>ClusterLockTests</c> and <c>NoSpaceServesTests</c> prove them on real etcd): a queue of
/// leased keys, the oldest live one holds; queuing is a write, refused under an alarm, but a
/// contender queued before becomes the holder without a write; the keys of a killed process live
/// until their lease expires.
/// </summary>
public sealed class SimulatedClusterLock(SimulatedEtcdCluster cluster, string prefix, string identity) : IClusterLock
{
    private SimulatedEtcdCluster.LockEntry? _entry;

    /// <inheritdoc />
    public string Prefix => prefix;

    /// <inheritdoc />
    public bool IsHeld => _entry is not null && cluster.IsLive(prefix, _entry) && cluster.LiveHead(prefix) == _entry;

    /// <inheritdoc />
    public Task<LockView> AcquireAsync(CancellationToken cancellationToken)
    {
        string? problem = null;
        if (_entry is null || !cluster.IsLive(prefix, _entry))
        {
            if (cluster.RefusesWrites)
            {
                _entry = null;
                problem = $"the lock under {prefix} cannot be queued for: etcdserver: mvcc: database space exceeded";
            }
            else
            {
                _entry = cluster.Enqueue(prefix, identity);
            }
        }
        var head = cluster.LiveHead(prefix);
        var view = head is null ? new LockView(LockStanding.Unavailable, null, problem ?? $"nobody holds the lock under {prefix}")
            : head == _entry ? new LockView(LockStanding.Held, identity, null)
            : new LockView(LockStanding.HeldElsewhere, head.Identity, problem);
        return Task.FromResult(view);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (_entry is not null)
        {
            cluster.Remove(prefix, _entry);
            _entry = null;
        }
        return ValueTask.CompletedTask;
    }
}
