using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Planning;

/// <summary>Where the retention window starts, and whether compacting to it is due.</summary>
internal static class CompactionPlanner
{
    /// <summary>The routine compaction, at most once per interval; null with a note when none.</summary>
    public static HygieneStep? Routine(HygienePolicy policy, ClusterSnapshot snapshot, HygieneState state, DateTimeOffset now, List<PlanNote> notes)
    {
        var compaction = policy.Compaction;
        if (compaction.Mode == CompactionMode.Disabled)
        {
            return null;
        }
        if (state.LastCompactionTime is { } last && now - last < compaction.Interval)
        {
            notes.Add(new PlanNote(NoteCode.CompactionNotDue,
                $"compacted at {last:u}; the next compaction is due after {(last + compaction.Interval):u} (spec.compaction.interval {GoDuration.Format(compaction.Interval)})"));
            return null;
        }
        return ToRetentionWindow(policy, snapshot, state, now, notes, "");
    }

    /// <summary>
    /// The compaction that keeps exactly the configured window, never more history dropped: in
    /// Periodic mode the target is the revision of a sample taken at least one retention ago, so
    /// every revision it drops was written before the window began.
    /// </summary>
    public static HygieneStep? ToRetentionWindow(
        HygienePolicy policy, ClusterSnapshot snapshot, HygieneState state, DateTimeOffset now, List<PlanNote> notes, string context)
    {
        var compaction = policy.Compaction;
        var compacted = Math.Max(snapshot.CompactRevision ?? 0, state.LastCompactedRevision ?? 0);
        long target;
        string why;
        switch (compaction.Mode)
        {
            case CompactionMode.Periodic:
                var windowStart = now - compaction.Retention;
                var sample = state.Samples.LastOrDefault(s => s.At <= windowStart);
                if (sample is null)
                {
                    var since = state.Samples.Count > 0 ? $"revisions are sampled since {state.Samples[0].At:u}" : "no revision sample yet";
                    notes.Add(new PlanNote(NoteCode.HistoryWithinRetention,
                        $"{context}all known history is younger than the retention of {GoDuration.Format(compaction.Retention)} ({since}); nothing to compact yet"));
                    return null;
                }
                target = sample.Revision;
                why = $"keep {GoDuration.Format(compaction.Retention)} of history: revision {target} was current at {sample.At:u}";
                break;
            case CompactionMode.Revision:
                var current = snapshot.Revision ?? 0;
                target = current - compaction.RetainRevisions;
                why = $"keep the last {compaction.RetainRevisions} revisions of {current}";
                break;
            default:
                notes.Add(new PlanNote(NoteCode.CompactionDisabled, $"{context}spec.compaction.mode is Disabled"));
                return null;
        }
        if (target <= compacted)
        {
            notes.Add(new PlanNote(NoteCode.NothingToCompact,
                $"{context}history is already compacted up to revision {compacted}; the retention window starts at revision {Math.Max(target, 0)}"));
            return null;
        }
        return new HygieneStep
        {
            Kind = StepKind.Compact,
            Revision = target,
            Compaction = compaction.Mode == CompactionMode.Periodic ? CompactionKind.Retention : CompactionKind.Revisions,
            Reason = $"{context}{why}; compacted up to {compacted} so far",
        };
    }
}
