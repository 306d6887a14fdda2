using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Watching;

/// <summary>
/// Decides whether what the watch sees between cycles is reason to start a cycle at once rather
/// than at the next due time. It compares with the cluster as the last cycle left it, so a
/// condition that cycle already saw (and dealt with, or could not) starts nothing new; and with
/// the previous look, to tell how fast each member grows.
/// </summary>
public static class WatchTrigger
{
    /// <summary>Why a cycle should start now, or null.</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="last">The cluster at the end of the last cycle; its members' quotas count.</param>
    /// <param name="previous">The watch's previous look; without one since that cycle, the cycle's own last observation.</param>
    /// <param name="probe">What the watch sees now.</param>
    public static WatchFinding? Check(HygienePolicy policy, ClusterSnapshot last, ClusterProbe? previous, ClusterProbe probe)
    {
        // Growth counts from the cycle's end at the first look: waiting for a second look would
        // leave a registry that fills the quota within two intervals of a cycle unprevented.
        var outlook = Outlook(policy, previous ?? ClusterProbe.Of(last), probe);
        if (MembersFallenSilent(last, probe) is { } silent)
        {
            return new WatchFinding(silent, outlook);
        }
        if (probe.HasCorruptAlarm && !last.Alarms.Any(a => a.Alarm == AlarmKind.Corrupt))
        {
            return new WatchFinding("a CORRUPT alarm was raised", outlook);
        }
        if (probe.HasNoSpaceAlarm && !last.HasNoSpaceAlarm)
        {
            return new WatchFinding("a NOSPACE alarm was raised: etcd refuses writes", outlook);
        }
        foreach (var member in probe.Members)
        {
            if (last.Member(member.Id) is not { } before || policy.QuotaOf(before) is not { } quota || quota <= 0 || policy.QuotaUsageOf(before) is not { } was)
            {
                continue;
            }
            var now = (double)member.DbSizeBytes / quota;
            var soon = (double)(member.DbSizeBytes + outlook.Of(member.Id)) / quota;
            foreach (var (mark, what) in Marks(policy))
            {
                if (was >= mark)
                {
                    continue;
                }
                if (now >= mark)
                {
                    return new WatchFinding($"{before.Name} crossed {HygienePlanner.Percent(mark)} of its quota ({what}), now at {HygienePlanner.Percent(now)}", outlook);
                }
                if (soon >= mark && what == PreemptMark)
                {
                    return new WatchFinding(
                        $"{before.Name} is at {HygienePlanner.Percent(now)} of its quota and grows fast enough to pass {HygienePlanner.Percent(mark)} ({what}) " +
                        $"before the watch looks again", outlook);
                }
            }
        }
        return null;
    }

    /// <summary>
    /// A member that answered the last cycle and is silent now: the cycle tells it (status, events,
    /// metrics) within seconds, not at the next interval. The watch looks only at members the last
    /// cycle reached; the cycle's retries see the others come back (<c>CycleSchedule.NextCycleIn</c>).
    /// </summary>
    private static string? MembersFallenSilent(ClusterSnapshot last, ClusterProbe probe)
    {
        var answering = probe.Members.Select(m => m.Id).ToHashSet();
        var silent = last.Members.Where(m => m.Reachable && !answering.Contains(m.Id)).Select(m => m.Name).ToList();
        return silent.Count == 0 ? null
            : answering.Count == 0 ? "no member answers"
            : $"{string.Join(", ", silent)} stopped answering";
    }

    /// <summary>How much each member grows until the look after next, at the rate between the two last looks.</summary>
    public static GrowthOutlook Outlook(HygienePolicy policy, ClusterProbe? previous, ClusterProbe probe)
    {
        var elapsed = previous is null ? TimeSpan.Zero : probe.ObservedAt - previous.ObservedAt;
        if (previous is null || elapsed <= TimeSpan.Zero)
        {
            return GrowthOutlook.None;
        }
        // Two intervals: the one until the next look, and one for the cycle to act.
        var ahead = 2 * policy.Alarms.CheckInterval;
        // A member catching up after a restart grows to the size the others already had: that is
        // not new data, and taken for a rate it made prevention drop the history at once (found by
        // the schedule explorer). Only growth past the largest size of the last look counts.
        var largest = previous.Members.Select(m => m.DbSizeBytes).DefaultIfEmpty(0).Max();
        var growth = new Dictionary<ulong, long>();
        foreach (var member in probe.Members)
        {
            if (previous.Members.FirstOrDefault(m => m.Id == member.Id) is { } before && member.DbSizeBytes > Math.Max(before.DbSizeBytes, largest))
            {
                growth[member.Id] = (long)((member.DbSizeBytes - Math.Max(before.DbSizeBytes, largest)) * (ahead / elapsed));
            }
        }
        return new GrowthOutlook(growth);
    }

    private const string PreemptMark = "spec.alarms.preemptAboveQuotaRatio";

    private static IEnumerable<(double Mark, string What)> Marks(HygienePolicy policy)
    {
        if (policy.Alarms.PreemptAboveQuotaRatio > 0)
        {
            yield return (policy.Alarms.PreemptAboveQuotaRatio, PreemptMark);
        }
        yield return (policy.Defragmentation.QuotaUsageAbove, "spec.defragmentation.rule.quotaUsageAbove");
    }
}
