using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Planning;

/// <summary>
/// Decides what to do to a cluster: a pure function of the policy, one observation, the kept
/// history, what this cycle already did, and the clock. It never talks to etcd. The executor runs
/// only the first step, observes again and asks again, so every step is decided on fresh facts.
/// </summary>
public static class HygienePlanner
{
    /// <summary>Plans the steps for <paramref name="snapshot"/>.</summary>
    public static HygienePlan Plan(
        HygienePolicy policy, ClusterSnapshot snapshot, HygieneState state, CycleProgress progress, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var notes = new List<PlanNote>();
        if (policy.Suspend)
        {
            notes.Add(new PlanNote(NoteCode.Suspended, "spec.suspend is true: observing only, nothing is done to etcd"));
            return new HygienePlan([], notes);
        }
        if (!snapshot.Members.Any(m => m.Reachable))
        {
            var why = snapshot.Problems.Count > 0 ? string.Join("; ", snapshot.Problems) : "no member answered";
            notes.Add(PlanNote.Warning(NoteCode.ClusterUnreachable, $"no etcd member could be reached: {why}"));
            return new HygienePlan([], notes);
        }
        if (!snapshot.AlarmsKnown)
        {
            // Acting without knowing whether a member is CORRUPT would break the rule on CORRUPT.
            notes.Add(PlanNote.Warning(NoteCode.AlarmsUnknown, "the alarm list could not be read; nothing is done until it can"));
            return new HygienePlan([], notes);
        }
        var corrupt = snapshot.Alarms.Where(a => a.Alarm == AlarmKind.Corrupt).ToList();
        if (corrupt.Count > 0)
        {
            notes.Add(PlanNote.Warning(NoteCode.CorruptAlarm,
                $"{Names(snapshot, corrupt.Select(a => a.MemberId))} raised the CORRUPT alarm: its data disagrees with the others. " +
                "etcd-hygiene never disarms CORRUPT and does nothing to this cluster until a person has checked the member " +
                "(etcdctl endpoint hashkv, then replace the member) and disarmed the alarm"));
            return new HygienePlan([], notes);
        }

        var alarmed = snapshot.HasNoSpaceAlarm;
        var preempting = !alarmed && NoSpacePlanner.ShouldPreempt(policy, snapshot, state, progress, notes);
        var steps = alarmed || preempting
            ? NoSpacePlanner.Plan(policy, snapshot, state, progress, now, notes, alarmed)
            : PlanRoutine(policy, snapshot, state, progress, now, notes);
        if (policy.DryRun && steps.Count > 0)
        {
            notes.Add(new PlanNote(NoteCode.DryRun, "spec.dryRun is true: the steps are reported, not executed"));
        }
        return new HygienePlan(steps, notes) { Urgent = alarmed || preempting, Preempting = preempting };
    }

    private static List<HygieneStep> PlanRoutine(
        HygienePolicy policy, ClusterSnapshot snapshot, HygieneState state, CycleProgress progress, DateTimeOffset now, List<PlanNote> notes)
    {
        var steps = new List<HygieneStep>();
        if (!progress.Compacted && CompactionPlanner.Routine(policy, snapshot, state, now, notes) is { } compaction)
        {
            steps.Add(compaction);
        }
        steps.AddRange(DefragmentationPlanner.Plan(policy, snapshot, progress, now, DefragMode.Rule, notes));
        return steps;
    }

    // Sorted: etcd lists alarms in no fixed order, and a note that reads differently each time would be told again each time.
    internal static string Names(ClusterSnapshot snapshot, IEnumerable<ulong> ids) =>
        string.Join(", ", ids.Distinct().Select(id => snapshot.Member(id)?.Name is { Length: > 0 } name ? name : id.ToString("x")).Order(StringComparer.Ordinal));

    internal static string Percent(double ratio) => $"{ratio * 100:0}%";
}
