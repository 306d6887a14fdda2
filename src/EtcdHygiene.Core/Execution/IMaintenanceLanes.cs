using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Execution;

/// <summary>
/// Where the policies that reach one etcd cluster take turns (safety rules 2 and 9): one step at a
/// time on a cluster, whichever policy or process plans it, and the pause between members counted
/// between any two defragmentations of that cluster. The cycle enters the lane of the cluster it
/// observed (by etcd's cluster id, so two spellings of one cluster are one lane) before each step.
/// </summary>
public interface IMaintenanceLanes
{
    /// <summary>
    /// How many times anything changed on the cluster's lane (a step ran, the right to act moved
    /// between processes). A cycle that observed at another count observes again before acting.
    /// </summary>
    long Changes(ulong clusterId);

    /// <summary>When the cluster's last defragmentation ended, whichever policy ran it; null when none is known.</summary>
    DateTimeOffset? LastDefragmentation(ulong clusterId);

    /// <summary>
    /// Makes <paramref name="policy"/> one of the lane's users and queues this process for the
    /// cluster's lock, at a cycle's first look: while etcd still accepts writes, so that the right
    /// to act can pass to this process at NOSPACE, when no lock can be taken any more.
    /// </summary>
    Task QueueAsync(ulong clusterId, HygienePolicy policy, CancellationToken cancellationToken);

    /// <summary>
    /// Waits for <paramref name="policy"/>'s turn on the cluster; <paramref name="urgent"/> when
    /// writes are refused or about to be. The turn is held until disposed.
    /// </summary>
    Task<IMaintenanceTurn> EnterAsync(ulong clusterId, HygienePolicy policy, bool urgent, CancellationToken cancellationToken);
}
