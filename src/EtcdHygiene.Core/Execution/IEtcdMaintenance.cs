using EtcdHygiene.Core.Observation;

namespace EtcdHygiene.Core.Execution;

/// <summary>
/// What the hygiene cycle needs from etcd. The adapter implements it; every call is bounded by its
/// own timeout, so a hung member costs one step, not the cycle.
/// </summary>
public interface IEtcdMaintenance
{
    /// <summary>Observes the whole cluster; unreachable members are reported, not thrown.</summary>
    Task<ClusterSnapshot> ObserveAsync(CancellationToken cancellationToken);

    /// <summary>Compacts history up to <paramref name="revision"/> and waits until it is applied.</summary>
    Task CompactAsync(long revision, CancellationToken cancellationToken);

    /// <summary>Defragments one member.</summary>
    Task DefragmentAsync(ulong memberId, CancellationToken cancellationToken);

    /// <summary>Hands leadership to <paramref name="targetMemberId"/>.</summary>
    Task MoveLeaderAsync(ulong targetMemberId, CancellationToken cancellationToken);

    /// <summary>Deactivates the NOSPACE alarm of one member. There is no CORRUPT counterpart, on purpose.</summary>
    Task DisarmNoSpaceAsync(ulong memberId, CancellationToken cancellationToken);
}
