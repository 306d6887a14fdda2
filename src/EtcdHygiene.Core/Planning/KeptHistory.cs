namespace EtcdHygiene.Core.Planning;

/// <summary>
/// How a cycle's steps change the kept state: what the next cycle, or the next process, must know
/// of this one. Pure, beside <see cref="ObservedState"/>, which brings the state up to date with a look.
/// </summary>
public static class KeptHistory
{
    /// <summary>
    /// The state to save before <paramref name="step"/>, a defragmentation, is sent: a restarted
    /// process then knows one was under way, and counts the pause from it.
    /// </summary>
    public static HygieneState BeforeDefragmentation(HygieneState state, HygieneStep step, DateTimeOffset now) =>
        state with { UnfinishedDefrag = new DefragStart(step.MemberId!.Value.ToString("x"), step.MemberName ?? "", now) };

    /// <summary>The state after <paramref name="step"/> succeeded at <paramref name="now"/>; <paramref name="progress"/> records it for the rest of the cycle.</summary>
    public static HygieneState AfterStep(HygieneState state, HygieneStep step, CycleProgress progress, DateTimeOffset now)
    {
        switch (step.Kind)
        {
            case StepKind.Compact:
                progress.RecordCompaction(step.Compaction!.Value);
                return state with { LastCompactionTime = now, LastCompactedRevision = step.Revision };
            case StepKind.Defragment:
                progress.RecordDefragmentation(step.MemberId!.Value);
                var times = new Dictionary<string, DateTimeOffset>(state.LastDefragTimes) { [step.MemberId.Value.ToString("x")] = now };
                return state with { LastDefragTimes = times, LastDefragTime = now, UnfinishedDefrag = null };
            default:
                return state;
        }
    }

    /// <summary>
    /// The state at the end of a cycle: prevention that found the live data filling the quota gives
    /// up until every member is below the disarm ratio again (<see cref="ObservedState.After"/> ends
    /// it), so it does not loop; a cycle that defragmented remembers what it gave back.
    /// </summary>
    public static HygieneState AtCycleEnd(HygieneState state, IReadOnlyList<PlanNote> notes, long? reclaimedByDefragmentation, DateTimeOffset now)
    {
        if (notes.Any(n => n.Code == NoteCode.LiveDataFillsQuota && n.Severity == NoteSeverity.Warning))
        {
            state = state with { PreventionGaveUpAt = now };
        }
        return reclaimedByDefragmentation is { } reclaimed ? state with { LastDefragReclaimedBytes = reclaimed } : state;
    }
}
