using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Planning;

/// <summary>
/// The kept state brought up to date with an observation, before anything is planned: the cycle
/// does it at every look, and <c>check</c> at its one look, so that both plan from the same state
/// (check once skipped the defragmentation seen over and the end of prevention's give-up, and
/// planned differently from the cycle that followed).
/// </summary>
public static class ObservedState
{
    /// <summary>
    /// The state for the first look of a cycle or a check: bound to the observed cluster (state kept
    /// for another cluster is dropped, and <paramref name="dropped"/> says why), then <see cref="After"/>.
    /// </summary>
    public static HygieneState AtFirstLook(HygienePolicy policy, HygieneState state, ClusterSnapshot snapshot, out PlanNote? dropped)
    {
        state = state.BoundTo(snapshot, out var why);
        dropped = why is null ? null : PlanNote.Warning(NoteCode.KeptStateDropped, why);
        return After(policy, state, snapshot);
    }

    /// <summary>
    /// The state after any look: an unfinished defragmentation whose member answers again is over,
    /// a Periodic policy samples the revision, and prevention may try again once every member is
    /// below the disarm ratio.
    /// </summary>
    public static HygieneState After(HygienePolicy policy, HygieneState state, ClusterSnapshot snapshot)
    {
        state = DefragPause.SeenOver(state, snapshot);
        if (policy.Compaction.Mode == CompactionMode.Periodic && snapshot.Revision is { } revision)
        {
            state = state.WithSample(snapshot.ObservedAt, revision, policy.Compaction.Retention);
        }
        if (state.PreventionGaveUpAt is not null && snapshot.Members.Count > 0
            && snapshot.Members.All(m => policy.QuotaUsageOf(m) is { } usage && usage < policy.Alarms.DisarmBelowQuotaRatio))
        {
            state = state with { PreventionGaveUpAt = null };
        }
        return state;
    }
}
