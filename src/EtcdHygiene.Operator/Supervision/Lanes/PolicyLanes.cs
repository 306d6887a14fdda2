using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;

namespace EtcdHygiene.Operator.Supervision.Lanes;

/// <summary>
/// The lanes as one policy's cycle sees them: entering a lane makes the policy one of its users,
/// and a lock the lane has yet to take is taken with this policy's connection options.
/// </summary>
internal sealed class PolicyLanes(ClusterLanes lanes, PolicyKey policy, EtcdConnectionOptions options) : IMaintenanceLanes
{
    public long Changes(ulong clusterId) => lanes.Find(clusterId)?.Changes ?? 0;

    public DateTimeOffset? LastDefragmentation(ulong clusterId) => lanes.Find(clusterId)?.LastDefragmentation;

    public Task QueueAsync(ulong clusterId, HygienePolicy hygienePolicy, CancellationToken cancellationToken) =>
        lanes.Join(clusterId, policy).QueueAsync(hygienePolicy, options, cancellationToken);

    public Task<IMaintenanceTurn> EnterAsync(ulong clusterId, HygienePolicy hygienePolicy, bool urgent, CancellationToken cancellationToken) =>
        lanes.Join(clusterId, policy).EnterAsync(hygienePolicy, options, urgent, cancellationToken);
}
