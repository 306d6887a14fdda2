using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Core.Watching;

namespace EtcdHygiene.Core.Planning;

/// <summary>
/// Recovery from NOSPACE. etcd checks its quota against the physical file, so the way out is:
/// compact, defragment every member, then disarm — and only once every member is below the disarm
/// ratio, or the alarm would be raised again at once. If the retention window keeps too much,
/// <see cref="EmergencyCompaction.Latest"/> compacts to the current revision, loudly. Prevention
/// (a member above <c>spec.alarms.preemptAboveQuotaRatio</c> before etcd raised the alarm) takes
/// the same way, without the disarm at its end.
/// </summary>
internal static class NoSpacePlanner
{
    /// <summary>
    /// True when the cluster should be treated as at NOSPACE before etcd says so: a member reached
    /// the high-water mark (and prevention has not already found the live data to be the problem),
    /// or this cycle's prevention has not finished yet.
    /// </summary>
    public static bool ShouldPreempt(HygienePolicy policy, ClusterSnapshot snapshot, HygieneState state, CycleProgress progress, List<PlanNote> notes)
    {
        var mark = policy.Alarms.PreemptAboveQuotaRatio;
        if (mark <= 0)
        {
            return false;
        }
        if (progress.Preempting)
        {
            return snapshot.Members.Any(m => Projected(policy, m, progress.Outlook) >= policy.Alarms.DisarmBelowQuotaRatio);
        }
        var high = snapshot.Members.Where(m => Projected(policy, m, progress.Outlook) >= mark).ToList();
        if (high.Count == 0)
        {
            return false;
        }
        if (state.PreventionGaveUpAt is { } gaveUp)
        {
            notes.Add(new PlanNote(NoteCode.LiveDataFillsQuota,
                $"{Describe(policy, high)}: prevention gave up at {gaveUp:u} because the live data fills the quota, and tries again once every member is below " +
                $"{HygienePlanner.Percent(policy.Alarms.DisarmBelowQuotaRatio)}. Raise --quota-backend-bytes or delete data"));
            return false;
        }
        notes.Add(PlanNote.Warning(NoteCode.Preempting,
            $"{Describe(policy, high)}{GrowthText(high, progress)}, at or above spec.alarms.preemptAboveQuotaRatio ({HygienePlanner.Percent(mark)}): acting as at NOSPACE before etcd refuses writes"));
        return true;
    }

    /// <summary>
    /// The share of its quota <paramref name="member"/> fills, counting for prevention the growth the
    /// watch expects before it looks again.
    /// </summary>
    private static double? Projected(HygienePolicy policy, MemberSnapshot member, GrowthOutlook outlook) =>
        policy.QuotaUsageOf(member) is { } usage && policy.QuotaOf(member) is { } quota
            ? usage + (double)outlook.Of(member.Id) / quota
            : null;

    private static string GrowthText(List<MemberSnapshot> members, CycleProgress progress)
    {
        var growing = members.Where(m => progress.Outlook.Of(m.Id) > 0).ToList();
        return growing.Count == 0 ? ""
            : $" and will grow by {string.Join(", ", growing.Select(m => Quantity.FormatBytes(progress.Outlook.Of(m.Id))))} before the watch looks again";
    }

    /// <summary>The recovery's next steps; <paramref name="alarmed"/> is false for prevention.</summary>
    public static List<HygieneStep> Plan(
        HygienePolicy policy, ClusterSnapshot snapshot, HygieneState state, CycleProgress progress, DateTimeOffset now, List<PlanNote> notes, bool alarmed = true)
    {
        var alarms = snapshot.Alarms.Where(a => a.Alarm == AlarmKind.NoSpace).ToList();
        if (alarmed)
        {
            notes.Add(PlanNote.Warning(NoteCode.NoSpaceAlarm,
                $"NOSPACE alarm raised by {HygienePlanner.Names(snapshot, alarms.Select(a => a.MemberId))}: etcd refuses every write, so no service instance can register until it is disarmed"));
        }

        var ratio = policy.Alarms.DisarmBelowQuotaRatio;
        // At NOSPACE the sizes now decide the disarm; prevention plans for the sizes to come.
        var over = OverRatio(policy, snapshot, alarmed ? GrowthOutlook.None : progress.Outlook, out var unknown);
        if (unknown is not null)
        {
            notes.Add(PlanNote.Warning(NoteCode.QuotaUnknown, alarmed ? $"NOSPACE cannot be disarmed safely: {unknown}" : $"prevention cannot judge the members: {unknown}"));
        }
        if (over.Count == 0 && unknown is null)
        {
            return alarmed ? Disarm(policy, snapshot, alarms, notes) : [];
        }

        var steps = new List<HygieneStep>();
        if (!progress.Compacted
            && CompactionPlanner.ToRetentionWindow(policy, snapshot, state, now, notes, alarmed ? "NOSPACE: " : "prevention: ") is { } retention)
        {
            return [retention with { Reason = $"{(alarmed ? "NOSPACE recovery" : "Prevention")} starts by dropping history outside the retention window: {retention.Reason}" }];
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
                Reason = $"{(alarmed ? "NOSPACE persists" : "The quota is nearly reached")} ({overText} of quota, {(alarmed ? "disarm needs" : "safe is")} below {HygienePlanner.Percent(ratio)}) and " +
                    (progress.Compacted ? "compacting to the retention window and defragmenting did not get below it" : "the retention window allows no compaction that would") + ": " +
                    $"compacting to the current revision {current} (spec.alarms.emergencyCompaction: Latest). All older history is dropped; watchers behind revision {current} must resync",
            });
            return steps;
        }
        var why = policy.Alarms.EmergencyCompaction == EmergencyCompaction.RetentionOnly
            ? "spec.alarms.emergencyCompaction is RetentionOnly, so history inside the retention window is kept"
            : "even without history the live data is too large";
        notes.Add(alarmed
            ? PlanNote.Warning(NoteCode.NoSpacePersists,
                $"NOSPACE stays: {overText} of quota after compaction and defragmentation, disarm needs below {HygienePlanner.Percent(ratio)}; {why}. " +
                "Raise --quota-backend-bytes or delete data, then etcd-hygiene disarms the alarm")
            : PlanNote.Warning(NoteCode.LiveDataFillsQuota,
                $"prevention did what it may and NOSPACE is near: {overText} of quota after compaction and defragmentation; {why}. " +
                $"Raise --quota-backend-bytes or delete data; prevention is not tried again until every member is below {HygienePlanner.Percent(ratio)}"));
        return steps;
    }

    private static string Describe(HygienePolicy policy, List<MemberSnapshot> members) =>
        string.Join(", ", members.Select(m => $"{m.Name} is at {HygienePlanner.Percent(policy.QuotaUsageOf(m)!.Value)} of its quota"));

    /// <summary>One step disarms every NOSPACE alarm: each step costs an observation, and every one of them is time without registrations.</summary>
    private static List<HygieneStep> Disarm(HygienePolicy policy, ClusterSnapshot snapshot, List<ActiveAlarm> alarms, List<PlanNote> notes)
    {
        var sizes = string.Join(", ", snapshot.Members.Select(m => $"{m.Name} {HygienePlanner.Percent(policy.QuotaUsageOf(m)!.Value)}"));
        if (!policy.Alarms.DisarmNoSpace)
        {
            notes.Add(PlanNote.Warning(NoteCode.DisarmDisabled,
                $"every member is below {HygienePlanner.Percent(policy.Alarms.DisarmBelowQuotaRatio)} of its quota ({sizes}) but spec.alarms.disarmNoSpace is false: run etcdctl alarm disarm"));
            return [];
        }
        var members = alarms.Select(a => a.MemberId).Distinct().ToList();
        return
        [
            new HygieneStep
            {
                Kind = StepKind.DisarmNoSpace,
                MemberIds = members,
                MemberName = HygienePlanner.Names(snapshot, members),
                Reason = $"every member is below {HygienePlanner.Percent(policy.Alarms.DisarmBelowQuotaRatio)} of its quota ({sizes}): writes can resume",
            },
        ];
    }

    /// <summary>Members at or above the disarm ratio; <paramref name="unknown"/> says why that cannot be judged.</summary>
    private static List<(MemberSnapshot Member, double Usage)> OverRatio(HygienePolicy policy, ClusterSnapshot snapshot, GrowthOutlook outlook, out string? unknown)
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
            if (Projected(policy, member, outlook) is not { } usage)
            {
                problems.Add($"the quota of {member.Name} is unknown (etcd does not report it; set spec.etcd.quotaBackendBytes)");
                continue;
            }
            if (usage >= policy.Alarms.DisarmBelowQuotaRatio)
            {
                over.Add((member, usage));
            }
        }
        unknown = problems.Count > 0 ? string.Join("; ", problems) : null;
        return over;
    }
}
