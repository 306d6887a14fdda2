using System.Collections.Concurrent;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Etcd.Locking;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Supervision.Lanes;

/// <summary>
/// The process's lanes, one per etcd cluster (by cluster id): every policy of the process that
/// reaches a cluster takes its steps through that cluster's <see cref="ClusterLane"/>, and the lane
/// holds the cluster's lock for the process while any of them uses it. A lane is closed, and its
/// lock let go, when its last policy leaves (deleted, suspended, moved to another cluster, stopped).
/// <paramref name="locks"/> makes the cluster's lock; by default the one held in etcd (<see cref="ClusterLock"/>).
/// </summary>
public sealed class ClusterLanes(EtcdClientPool clients, TimeProvider time, ILoggerFactory logging, string identity, IActingRight? processRight = null, ClusterLockFactory? locks = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ulong, ClusterLane> _lanes = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<PolicyKey, ClusterLane> _members = [];
    private readonly ILogger _logger = logging.CreateLogger(LogCategory.Lanes);

    private IClusterLock EtcdLocks(EtcdConnectionOptions options, string prefix, string lockIdentity) =>
        new ClusterLock(options, prefix, lockIdentity, clients, time, _logger);

    /// <summary>A process's default identity: what it is, where, and its pid.</summary>
    public static string IdentityOf(string what) => $"etcd-hygiene {what} on {Environment.MachineName} (pid {Environment.ProcessId})";

    /// <summary>The lane of <paramref name="clusterId"/> if one is open.</summary>
    public ClusterLane? Find(ulong clusterId) => _lanes.GetValueOrDefault(clusterId);

    /// <summary>
    /// The lane of <paramref name="clusterId"/>, with <paramref name="policy"/> counted among its
    /// users (and no longer among those of a lane it used before).
    /// </summary>
    public ClusterLane Join(ulong clusterId, PolicyKey policy)
    {
        ClusterLane? left = null;
        ClusterLane lane;
        lock (_gate)
        {
            lane = _lanes.GetOrAdd(clusterId, id => new ClusterLane(id, locks ?? EtcdLocks, time, logging.CreateLogger(LogCategory.Lanes), identity, processRight));
            if (_members.TryGetValue(policy, out var before) && before != lane)
            {
                left = Leave(before, policy);
            }
            if (lane.Join(policy) is { Count: > 1 } sharing && (before != lane))
            {
                _logger.LogInformation("Policy {Policy} reaches etcd cluster {Cluster}, as {Others} do: their steps take turns, one at a time",
                    policy, clusterId.ToString("x"), string.Join(", ", sharing.Where(p => p != policy)));
            }
            _members[policy] = lane;
        }
        _ = left?.DisposeAsync().AsTask();
        return lane;
    }

    /// <summary>Takes <paramref name="policy"/> off its lane; the lane closes (and lets its lock go) when nobody uses it.</summary>
    public async Task LeaveAsync(PolicyKey policy)
    {
        ClusterLane? closed = null;
        lock (_gate)
        {
            if (_members.Remove(policy, out var lane))
            {
                closed = Leave(lane, policy);
            }
        }
        if (closed is not null)
        {
            await closed.DisposeAsync();
        }
    }

    /// <summary>Takes the policy off the lane; returns the lane when it is left empty (removed, to be disposed).</summary>
    private ClusterLane? Leave(ClusterLane lane, PolicyKey policy)
    {
        if (lane.Leave(policy) > 0)
        {
            return null;
        }
        _lanes.TryRemove(new KeyValuePair<ulong, ClusterLane>(lane.ClusterId, lane));
        return lane;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        List<ClusterLane> lanes;
        lock (_gate)
        {
            lanes = _lanes.Values.ToList();
            _lanes.Clear();
            _members.Clear();
        }
        foreach (var lane in lanes)
        {
            await lane.DisposeAsync();
        }
    }
}
