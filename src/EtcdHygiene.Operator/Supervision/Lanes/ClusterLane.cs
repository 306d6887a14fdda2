using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Etcd.Locking;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Supervision.Lanes;

/// <summary>
/// One etcd cluster's lane in this process: its policies' steps go through it one at a time, it
/// remembers when the cluster's last defragmentation ended (so the pause between members holds
/// between any two policies), and it holds the cluster's lock for the process (<see cref="IClusterLock"/>;
/// in etcd, <see cref="ClusterLock"/>), so that other processes wait while this one maintains the cluster.
///
/// When the lock is held elsewhere the turn is refused with the holder's name. When nobody holds it
/// and etcd refuses the writes that take it (NOSPACE), an urgent turn goes ahead without it, with a
/// warning: a registry refused for as long as nobody can take a lock is worse than the small chance
/// that two processes that both started at NOSPACE recover it together.
/// </summary>
public sealed class ClusterLane : IAsyncDisposable
{
    private readonly ClusterLockFactory _newLock;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _identity;
    private readonly IActingRight? _processRight;
    private readonly TurnQueue _turns = new();
    private readonly HashSet<PolicyKey> _policies = [];
    private readonly Dictionary<string, IClusterLock> _locks = [];
    // Per lock prefix: the holder this process last waited for, so that taking over is noticed.
    private readonly Dictionary<string, string> _waitedFor = [];
    private long _changes;
    private DateTimeOffset? _lastDefragmentation;

    internal ClusterLane(ulong clusterId, ClusterLockFactory newLock, TimeProvider time, ILogger logger, string identity, IActingRight? processRight)
    {
        ClusterId = clusterId;
        _newLock = newLock;
        _time = time;
        _logger = logger;
        _identity = identity;
        _processRight = processRight;
    }

    /// <summary>The etcd cluster's id.</summary>
    public ulong ClusterId { get; }

    /// <summary>See <see cref="IMaintenanceLanes.Changes"/>.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    /// <summary>When the cluster's last defragmentation through this lane ended, or when this process took the cluster over.</summary>
    public DateTimeOffset? LastDefragmentation
    {
        get
        {
            lock (_policies)
            {
                return _lastDefragmentation;
            }
        }
    }

    internal IReadOnlyList<PolicyKey> Join(PolicyKey policy)
    {
        lock (_policies)
        {
            _policies.Add(policy);
            return _policies.ToList();
        }
    }

    internal int Leave(PolicyKey policy)
    {
        lock (_policies)
        {
            _policies.Remove(policy);
            return _policies.Count;
        }
    }

    /// <summary>
    /// Queues for the lock <paramref name="policy"/> names, without waiting for a turn (a
    /// defragmentation may hold it for minutes); see <see cref="IMaintenanceLanes.QueueAsync"/>.
    /// </summary>
    public async Task QueueAsync(HygienePolicy policy, EtcdConnectionOptions options, CancellationToken cancellationToken)
    {
        var view = await LockFor(policy, options).AcquireAsync(cancellationToken);
        if (view.Standing == LockStanding.HeldElsewhere)
        {
            Waiting(policy.Etcd.LockPrefix, view.Holder!);
        }
    }

    /// <summary>Waits for the turn of <paramref name="policy"/>; see <see cref="IMaintenanceLanes.EnterAsync"/>.</summary>
    public async Task<IMaintenanceTurn> EnterAsync(HygienePolicy policy, EtcdConnectionOptions options, bool urgent, CancellationToken cancellationToken)
    {
        await _turns.WaitAsync(cancellationToken);
        try
        {
            var prefix = policy.Etcd.LockPrefix;
            var clusterLock = LockFor(policy, options);
            var view = await clusterLock.AcquireAsync(cancellationToken);
            switch (view.Standing)
            {
                case LockStanding.Held:
                    if (TookOver(prefix) is { } before)
                    {
                        // What the other process did last is not known here: the pause starts now.
                        Interlocked.Increment(ref _changes);
                        lock (_policies)
                        {
                            _lastDefragmentation = _time.GetUtcNow();
                        }
                        _logger.LogInformation("This process now maintains etcd cluster {Cluster} (lock under {Prefix}), after {Before}", Hex, prefix, before);
                    }
                    return new LaneTurn(this, clusterLock, null, null);
                case LockStanding.HeldElsewhere:
                    Waiting(prefix, view.Holder!);
                    _turns.Release();
                    return LaneTurn.Refusal(Changes, $"{view.Holder} maintains etcd cluster {Hex} (it holds the lock under {prefix}); this policy acts only once it lets go");
                case LockStanding.Unavailable when urgent:
                    return new LaneTurn(this, null, null, $"{view.Problem}; nobody holds it, so the recovery goes ahead without it and takes it once etcd accepts writes again");
                default:
                    _turns.Release();
                    return LaneTurn.Refusal(Changes, $"the cluster's lock cannot be taken: {view.Problem}");
            }
        }
        catch
        {
            _turns.Release();
            throw;
        }
    }

    private IClusterLock LockFor(HygienePolicy policy, EtcdConnectionOptions options)
    {
        lock (_locks)
        {
            var prefix = policy.Etcd.LockPrefix;
            if (!_locks.TryGetValue(prefix, out var clusterLock))
            {
                _locks[prefix] = clusterLock = _newLock(options, prefix, _identity);
            }
            return clusterLock;
        }
    }

    /// <summary>Remembers (and says, once per holder) that another process holds the lock.</summary>
    private void Waiting(string prefix, string holder)
    {
        lock (_waitedFor)
        {
            if (_waitedFor.TryGetValue(prefix, out var known) && known == holder)
            {
                return;
            }
            _waitedFor[prefix] = holder;
        }
        _logger.LogInformation("Etcd cluster {Cluster} is maintained by {Holder} (lock under {Prefix}): this process waits until it lets go", Hex, holder, prefix);
    }

    /// <summary>The holder this process waited for before it held the lock itself, once; null when it waited for nobody.</summary>
    private string? TookOver(string prefix)
    {
        lock (_waitedFor)
        {
            return _waitedFor.Remove(prefix, out var before) ? before : null;
        }
    }

    internal string? WhyNotEntitled(IClusterLock? clusterLock) =>
        _processRight?.WhyNotHeld()
        ?? (clusterLock is { IsHeld: false }
            ? $"the lock of etcd cluster {Hex} under {clusterLock.Prefix} is not known held any more (its lease was not renewed in time)"
            : null);

    internal long Acted(HygieneStep step, DateTimeOffset endedAt)
    {
        if (step.Kind == StepKind.Defragment)
        {
            lock (_policies)
            {
                _lastDefragmentation = endedAt;
            }
        }
        return Interlocked.Increment(ref _changes);
    }

    internal void Release() => _turns.Release();

    private string Hex => ClusterId.ToString("x");

    /// <summary>Lets every lock of the lane go (the next process in line holds it at once).</summary>
    public async ValueTask DisposeAsync()
    {
        List<IClusterLock> locks;
        lock (_locks)
        {
            locks = _locks.Values.ToList();
            _locks.Clear();
        }
        foreach (var clusterLock in locks)
        {
            await clusterLock.DisposeAsync();
        }
    }
}
