using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Planning;

/// <summary>
/// Recovery from NOSPACE. etcd checks its quota against the physical file, so the way out is:
/// compact, defragment every member, then disarm — and only once every member is below the disarm
/// ratio, or the alarm would be raised again at once. If the retention window keeps too much,
/// <see cref="EmergencyCompaction.Latest"/> compacts to the current revision, loudly.
/// </summary>
internal static class NoSpacePlanner
{
    public static List<HygieneStep> Plan(
        HygienePolicy policy, ClusterSnapshot snapshot, HygieneState state, CycleProgress progress, DateTimeOffset now, List<PlanNote> notes)
    {
        var alarms = snapshot.Alarms.Where(a => a.Alarm == AlarmKind.NoSpace).ToList();
        var raisedBy = HygienePlanner.Names(snapshot, alarms.Select(a => a.MemberId));
        notes.Add(PlanNote.Warning(NoteCode.NoSpaceAlarm,
            $"NOSPACE alarm raised by {raisedBy}: etcd refuses every write, so no service instance can register until it is disarmed"));

        var ratio = policy.Alarms.DisarmBelowQuotaRatio;
        var over = OverRatio(policy, snapshot, out var unknown);
        if (unknown is not null)
        {
            notes.Add(PlanNote.Warning(NoteCode.QuotaUnknown, unknown));
        }
        if (over.Count == 0 && unknown is null)
        {
            return Disarm(policy, snapshot, alarms, notes);
        }

        var steps = new List<HygieneStep>();
        if (!progress.Compacted
            && CompactionPlanner.ToRetentionWindow(policy, snapshot, state, now, notes, "NOSPACE: ") is { } retention)
        {
            return [retention with { Reason = $"NOSPACE recovery starts by dropping history outside the retention window: {retention.Reason}" }];
        }

        var defrags = DefragmentationPlanner.Plan(policy, snapshot, progress, now, DefragMode.NoSpace, notes);
        if (defrags.Count > 0 || notes.Any(n => n.Code == NoteCode.DefragBlocked))
        {
            steps.AddRange(defrags);
            return steps;
        }

        // Every member was defragmented since the last compaction and some are still too full.
        var overText = string.Join(", ", over.Select(o => $"{o.Member.Name} at {HygienePlanner.Percent(o.Usage)}"));
        if (unknown is not null)
        {
            return steps;
        }
        var current = snapshot.Revision ?? 0;
        var compacted = Math.Max(snapshot.CompactRevision ?? 0, state.LastCompactedRevision ?? 0);
        if (policy.Alarms.EmergencyCompaction == EmergencyCompaction.Latest && !progress.EmergencyCompacted && current > compacted)
        {
            steps.Add(new HygieneStep
            {
                Kind = StepKind.Compact,
                Revision = current,
                Compaction = CompactionKind.Emergency,
                IsWarning = true,
                Reason = $"NOSPACE persists ({overText} of quota, disarm needs below {HygienePlanner.Percent(ratio)}) and " +
                    (progress.Compacted ? "compacting to the retention window and defragmenting did not get below it" : "the retention window allows no compaction that would") + ": " +
                    $"compacting to the current revision {current} (spec.alarms.emergencyCompaction: Latest). All older history is dropped; watchers behind revision {current} must resync",
            });
            return steps;
        }
        var why = policy.Alarms.EmergencyCompaction == EmergencyCompaction.RetentionOnly
            ? "spec.alarms.emergencyCompaction is RetentionOnly, so history inside the retention window is kept"
            : "even without history the live data is too large";
        notes.Add(PlanNote.Warning(NoteCode.NoSpacePersists,
            $"NOSPACE stays: {overText} of quota after compaction and defragmentation, disarm needs below {HygienePlanner.Percent(ratio)}; {why}. " +
            "Raise --quota-backend-bytes or delete data, then etcd-hygiene disarms the alarm"));
        return steps;
    }

    private static List<HygieneStep> Disarm(HygienePolicy policy, ClusterSnapshot snapshot, List<ActiveAlarm> alarms, List<PlanNote> notes)
    {
        var sizes = string.Join(", ", snapshot.Members.Select(m => $"{m.Name} {HygienePlanner.Percent(policy.QuotaUsageOf(m)!.Value)}"));
        if (!policy.Alarms.DisarmNoSpace)
        {
            notes.Add(PlanNote.Warning(NoteCode.DisarmDisabled,
                $"every member is below {HygienePlanner.Percent(policy.Alarms.DisarmBelowQuotaRatio)} of its quota ({sizes}) but spec.alarms.disarmNoSpace is false: run etcdctl alarm disarm"));
            return [];
        }
        return alarms.Select(a => new HygieneStep
        {
            Kind = StepKind.DisarmNoSpace,
            MemberId = a.MemberId,
            MemberName = HygienePlanner.Names(snapshot, [a.MemberId]),
            Reason = $"every member is below {HygienePlanner.Percent(policy.Alarms.DisarmBelowQuotaRatio)} of its quota ({sizes}): writes can resume",
        }).ToList();
    }

    /// <summary>Members at or above the disarm ratio; <paramref name="unknown"/> says why that cannot be judged.</summary>
    private static List<(MemberSnapshot Member, double Usage)> OverRatio(HygienePolicy policy, ClusterSnapshot snapshot, out string? unknown)
    {
        unknown = null;
        var over = new List<(MemberSnapshot, double)>();
        var problems = new List<string>();
        foreach (var member in snapshot.Members)
        {
            if (!member.Reachable)
            {
                problems.Add($"{(member.Name.Length > 0 ? member.Name : member.HexId)} is unreachable, so its size is unknown");
                continue;
            }
            if (policy.QuotaUsageOf(member) is not { } usage)
            {
                problems.Add($"the quota of {member.Name} is unknown (etcd does not report it; set spec.etcd.quotaBackendBytes)");
                continue;
            }
            if (usage >= policy.Alarms.DisarmBelowQuotaRatio)
            {
                over.Add((member, usage));
            }
        }
        if (problems.Count > 0)
        {
            unknown = $"NOSPACE cannot be disarmed safely: {string.Join("; ", problems)}";
        }
        return over;
    }
}
