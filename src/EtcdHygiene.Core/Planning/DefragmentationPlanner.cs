using Cronos;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Planning;

/// <summary>
/// Which members to defragment, in which order, and whether it is safe now. Defragmentation stops
/// the world on a member, so: one at a time, followers first (most to gain first), the leader last
/// and, when asked, after handing its leadership away; never while a voting member is unwell, the
/// cluster has no leader, or losing this member for a while would cost the quorum.
/// </summary>
internal static class DefragmentationPlanner
{
    public static List<HygieneStep> Plan(
        HygienePolicy policy, ClusterSnapshot snapshot, CycleProgress progress, DateTimeOffset now, DefragMode mode, List<PlanNote> notes)
    {
        var settings = policy.Defragmentation;
        foreach (var learner in snapshot.Members.Where(m => m.IsLearner))
        {
            notes.Add(new PlanNote(NoteCode.LearnerSkipped, $"{learner.Name} is a learner: learners are not defragmented"));
        }
        if (mode == DefragMode.Rule && !InWindow(settings, now, out var windowNote))
        {
            notes.Add(new PlanNote(NoteCode.OutsideDefragWindow, windowNote));
            return [];
        }

        var voting = snapshot.Members.Where(m => !m.IsLearner).ToList();
        var candidates = new List<(MemberSnapshot Member, string Reason)>();
        foreach (var member in voting.Where(m => m.Reachable))
        {
            if (mode == DefragMode.NoSpace)
            {
                // A defrag with nothing to give back only stops the world; the floor is low because
                // at NOSPACE every page returned lets writes resume sooner.
                var reclaimable = member.ReclaimableBytes ?? 0;
                var worthIt = Math.Min(settings.MinReclaimableBytes, member.Status!.DbSizeBytes / 20);
                if (!progress.DefraggedSinceCompaction.Contains(member.Id) && reclaimable > 0 && reclaimable >= worthIt)
                {
                    candidates.Add((member, $"NOSPACE recovery: {Quantity.FormatBytes(reclaimable)} can be given back to the file system ({Describe(member, policy)})"));
                }
            }
            else if (!progress.DefraggedThisCycle.Contains(member.Id) && RuleMatches(member, policy, out var reason))
            {
                candidates.Add((member, reason));
            }
        }
        candidates = WithoutUnsafeVersions(candidates, settings, notes);
        if (candidates.Count == 0)
        {
            if (mode == DefragMode.Rule && !notes.Any(n => n.Code == NoteCode.UnsafeEtcdVersion))
            {
                notes.Add(new PlanNote(NoteCode.DefragNotNeeded, "no member meets the defragmentation rule: " +
                    string.Join("; ", voting.Where(m => m.Reachable).Select(m => Describe(m, policy)))));
            }
            return [];
        }

        if (Blocked(snapshot, voting) is { } blocked)
        {
            notes.Add(PlanNote.Warning(NoteCode.DefragBlocked,
                $"not defragmenting {string.Join(", ", candidates.Select(c => c.Member.Name))}: {blocked}"));
            return [];
        }

        var leader = snapshot.Leader!;
        var ordered = candidates
            .OrderBy(c => c.Member.Id == leader.Id)
            .ThenByDescending(c => c.Member.ReclaimableBytes)
            .ThenBy(c => c.Member.Name, StringComparer.Ordinal)
            .ToList();
        var steps = new List<HygieneStep>();
        foreach (var (member, reason) in ordered)
        {
            if (member.Id == leader.Id && settings.MoveLeader && voting.Count > 1)
            {
                var target = voting
                    .Where(m => m.Id != leader.Id)
                    .OrderByDescending(m => progress.DefraggedThisCycle.Contains(m.Id) || !candidates.Any(c => c.Member.Id == m.Id))
                    .ThenByDescending(m => m.Status!.RaftIndex)
                    .ThenBy(m => m.Name, StringComparer.Ordinal)
                    .First();
                steps.Add(new HygieneStep
                {
                    Kind = StepKind.MoveLeader,
                    MemberId = leader.Id,
                    MemberName = leader.Name,
                    TargetMemberId = target.Id,
                    TargetMemberName = target.Name,
                    Reason = $"{leader.Name} leads and is next to defragment; spec.defragmentation.moveLeader hands leadership to {target.Name} first so the cluster keeps a working leader",
                });
            }
            steps.Add(new HygieneStep
            {
                Kind = StepKind.Defragment,
                MemberId = member.Id,
                MemberName = member.Name,
                Reason = member.Id == leader.Id && !(settings.MoveLeader && voting.Count > 1)
                    ? $"{reason}; the leader goes last"
                    : reason,
            });
        }
        return steps;
    }

    /// <summary>
    /// The candidates minus the members whose etcd version has the unsafe-online-defragmentation
    /// defect, with a warning naming them, unless the policy allows it. At NOSPACE too: a member
    /// left inconsistent is worse than a registry refused until someone upgrades or overrides.
    /// </summary>
    private static List<(MemberSnapshot Member, string Reason)> WithoutUnsafeVersions(
        List<(MemberSnapshot Member, string Reason)> candidates, DefragmentationSettings settings, List<PlanNote> notes)
    {
        var unsafeMembers = candidates.Where(c => OnlineDefragSafety.IsAffected(c.Member.Status!.Version) == true).ToList();
        if (unsafeMembers.Count == 0 || settings.AllowUnsafeEtcdVersions)
        {
            return candidates;
        }
        var named = string.Join(", ", unsafeMembers.Select(c => $"{c.Member.Name} (etcd {c.Member.Status!.Version})"));
        notes.Add(PlanNote.Warning(NoteCode.UnsafeEtcdVersion,
            $"not defragmenting {named}: a crash during an online defragmentation can leave a member inconsistent before etcd {OnlineDefragSafety.FixedVersions}; " +
            "upgrade etcd, or set spec.defragmentation.allowUnsafeEtcdVersions: true to accept the risk"));
        return candidates.Except(unsafeMembers).ToList();
    }

    /// <summary>Why defragmenting any member now would be unsafe, or null when it is safe.</summary>
    public static string? Blocked(ClusterSnapshot snapshot, IReadOnlyList<MemberSnapshot> voting)
    {
        var unwell = voting.Where(m => !m.Reachable || !m.Health.IsHealthy).ToList();
        if (unwell.Count > 0)
        {
            return string.Join("; ", unwell.Select(m => m.Reachable
                ? $"voting member {m.Name} is unhealthy ({m.Health.Reason})"
                : $"voting member {m.DisplayName} is unreachable ({m.EndpointNote ?? "no answer"})"));
        }
        if (snapshot.Leader is null)
        {
            return "the cluster has no leader";
        }
        var quorum = voting.Count / 2 + 1;
        if (voting.Count > 1 && voting.Count - 1 < quorum)
        {
            return $"with {voting.Count} voting members, one member busy defragmenting leaves {voting.Count - 1}, below the quorum of {quorum}";
        }
        return null;
    }

    private static bool RuleMatches(MemberSnapshot member, HygienePolicy policy, out string reason)
    {
        var rule = policy.Defragmentation;
        var size = member.Status!.DbSizeBytes;
        var reclaimable = member.ReclaimableBytes ?? 0;
        var fragmentation = member.FragmentationRatio ?? 0;
        var usage = policy.QuotaUsageOf(member);
        reason = "";
        if (reclaimable < rule.MinReclaimableBytes)
        {
            return false;
        }
        if (usage is { } u && u >= rule.QuotaUsageAbove)
        {
            reason = $"{member.Name} uses {HygienePlanner.Percent(u)} of its quota (rule: from {HygienePlanner.Percent(rule.QuotaUsageAbove)}) and {Quantity.FormatBytes(reclaimable)} can be reclaimed";
            return true;
        }
        if (fragmentation >= rule.MinFragmentationRatio && size >= rule.MinDbSizeBytes)
        {
            reason = $"{member.Name} is {HygienePlanner.Percent(fragmentation)} fragmented: {Quantity.FormatBytes(reclaimable)} of {Quantity.FormatBytes(size)} reclaimable " +
                $"(rule: from {HygienePlanner.Percent(rule.MinFragmentationRatio)}, {Quantity.FormatBytes(rule.MinDbSizeBytes)}, {Quantity.FormatBytes(rule.MinReclaimableBytes)})";
            return true;
        }
        return false;
    }

    private static string Describe(MemberSnapshot member, HygienePolicy policy)
    {
        var usage = policy.QuotaUsageOf(member) is { } ratio ? $", {HygienePlanner.Percent(ratio)} of quota" : "";
        return $"{member.Name} {Quantity.FormatBytes(member.Status!.DbSizeBytes)}, {HygienePlanner.Percent(member.FragmentationRatio ?? 0)} fragmented{usage}";
    }

    private static bool InWindow(DefragmentationSettings settings, DateTimeOffset now, out string note)
    {
        note = "";
        if (settings.Schedule is null)
        {
            return true;
        }
        var cron = CronExpression.Parse(settings.Schedule);
        // The window is open when a scheduled time fell within the last WindowDuration.
        var opened = cron.GetOccurrences(now - settings.WindowDuration, now, TimeZoneInfo.Utc, fromInclusive: true, toInclusive: true).LastOrDefault();
        if (opened != default)
        {
            return true;
        }
        var next = cron.GetNextOccurrence(now, TimeZoneInfo.Utc);
        note = $"outside the defragmentation window \"{settings.Schedule}\" (UTC, open {GoDuration.Format(settings.WindowDuration)}); it opens next at {next:u}. NOSPACE recovery ignores the window";
        return false;
    }
}
