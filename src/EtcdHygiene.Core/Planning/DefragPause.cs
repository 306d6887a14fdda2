namespace EtcdHygiene.Core.Planning;

/// <summary>
/// The arithmetic of spec.defragmentation.pauseBetweenMembers (safety rule 2, docs/architecture.md):
/// when the pause began, and how much of it is left. Pure, so a fake clock can test it.
/// </summary>
public static class DefragPause
{
    /// <summary>
    /// How long the pause still lasts at <paramref name="now"/>, or null when it is over (or none is
    /// configured). It counts from <see cref="HygieneState.PauseBegan"/>, which the state keeps
    /// across restarts, or from <paramref name="clusterLast"/>, the cluster's last defragmentation
    /// whichever policy ran it, when that is later.
    /// </summary>
    public static TimeSpan? Left(TimeSpan pause, HygieneState state, DateTimeOffset now, DateTimeOffset? clusterLast = null)
    {
        var began = Latest(state.PauseBegan(), clusterLast);
        if (pause <= TimeSpan.Zero || began is null)
        {
            return null;
        }
        // Capped at one pause: a clock that went backwards must not stall defragmentation for long.
        var left = began.Value + pause - now;
        return left <= TimeSpan.Zero ? null : left > pause ? pause : left;
    }

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    /// <summary>
    /// The state once <paramref name="snapshot"/> sees the member of an unfinished defragmentation
    /// answer a health read again: a member does not serve reads while it defragments, so that
    /// defragmentation is over by now, however long etcd went on with it after the request failed,
    /// timed out or its sender died. The pause then counts from this observation, not from the
    /// start of a defragmentation that may have run for minutes. Set once: later observations do not
    /// move it.
    /// </summary>
    public static HygieneState SeenOver(HygieneState state, Observation.ClusterSnapshot snapshot)
    {
        if (state.UnfinishedDefrag is not { SeenOverAt: null } unfinished
            || snapshot.Members.FirstOrDefault(m => m.HexId == unfinished.MemberId) is not { Reachable: true, Health.IsHealthy: true })
        {
            return state;
        }
        var over = snapshot.ObservedAt > unfinished.StartedAt ? snapshot.ObservedAt : unfinished.StartedAt;
        return state with { UnfinishedDefrag = unfinished with { SeenOverAt = over } };
    }
}
