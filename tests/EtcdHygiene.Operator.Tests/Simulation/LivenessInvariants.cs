using EtcdHygiene.Core.Policy;
using EtcdHygiene.Testing.Simulation;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// Rules 4 and 11, judged by what the runtime went on doing. Rule 4: a stopped or hung member
/// blocks only its own step, so every running policy ends a cycle at least once per interval plus
/// the longest a cycle may rightly take (one step timing out at the defragmentation timeout, a
/// pause and a few request timeouts per member). Rule 11: a NOSPACE raised on a quiet cluster is
/// answered (a cycle starts, a cycle running then sees it, or a step is sent) within the status
/// poll's interval once the step in flight when it was raised has ended, with the pause, one request
/// timeout (a look at a member that hung earlier) and half a minute's slack; routine work never
/// keeps it waiting.
/// </summary>
internal static class LivenessInvariants
{
    /// <summary>The longest a policy may go without ending a cycle while its process runs.</summary>
    public static TimeSpan LongestWithoutACycle(HygienePolicy policy, int members) =>
        policy.Compaction.Interval + policy.Etcd.DefragTimeout
        + (members + 2) * (policy.Defragmentation.PauseBetweenMembers + 3 * policy.Etcd.RequestTimeout) + TimeSpan.FromMinutes(1);

    public static IEnumerable<Violation> Check(Schedule schedule, SimulatedEtcdCluster cluster, IReadOnlyDictionary<string, HygienePolicy> policies,
        IReadOnlyDictionary<string, List<CycleSpan>> cycles, IReadOnlyList<ProcessLife> lives)
    {
        var members = cluster.Members.Count;
        foreach (var life in lives)
        {
            foreach (var (actor, policy) in policies.Where(p => p.Key.StartsWith(life.Name + "/", StringComparison.Ordinal)))
            {
                var longest = LongestWithoutACycle(policy, members);
                var last = life.From;
                var ends = (cycles.GetValueOrDefault(actor) ?? []).Select(c => c.End).Where(e => e >= life.From && e <= life.To).Append(life.To).ToList();
                ExplorerTally.CycleGaps(ends.Count);
                foreach (var end in ends)
                {
                    if (end - last > longest)
                    {
                        yield return new Violation(4, last + longest, $"{actor} ended no cycle from {last:hh\\:mm\\:ss} to {end:hh\\:mm\\:ss} (at most {longest.TotalMinutes:0.0} min may pass)");
                        break;
                    }
                    last = end;
                }
            }
        }

        var faults = schedule.Events.Where(e => e.Kind != WorldEventKind.Write).Select(e => e.At).ToList();
        foreach (var raised in cluster.NoSpaceRaised)
        {
            var inFlight = cluster.Operations.Where(o => o.Started <= raised && (!o.HasEnded || o.Ended > raised)).ToList();
            if (inFlight.Any(o => !o.HasEnded))
            {
                continue; // a step that never ends is rule 4's to judge
            }
            var from = inFlight.Select(o => o.Ended).Append(raised).Max();
            var alive = lives.Where(l => l.From <= raised && l.To >= from).Select(l => l.Name + "/").ToList();
            var running = policies.Where(p => alive.Any(a => p.Key.StartsWith(a, StringComparison.Ordinal))).ToList();
            if (running.Count == 0)
            {
                continue;
            }
            var by = from + running.Min(p => p.Value.Alarms.CheckInterval) + running.Max(p => p.Value.Defragmentation.PauseBetweenMembers)
                     + running.Max(p => p.Value.Etcd.RequestTimeout) + TimeSpan.FromSeconds(30);
            if (by > schedule.Horizon || alive.Count == 0 || faults.Any(f => f >= raised - TimeSpan.FromMinutes(1) && f <= by) || lives.Any(l => l.To >= raised && l.To <= by))
            {
                continue; // not a quiet cluster: faults have their own rules
            }
            ExplorerTally.NoSpaceJudged();
            var answered = running.Any(p => cycles.GetValueOrDefault(p.Key)?.Any(c =>
                               (c.Start >= raised && c.Start <= by) || (c.Start < raised && c.End >= raised && c.SawNoSpace)) == true)
                           || cluster.Operations.Any(o => o.Started >= raised && o.Started <= by);
            if (!answered)
            {
                yield return new Violation(11, by, $"NOSPACE raised at {raised:hh\\:mm\\:ss\\.fff} was not answered by {by:hh\\:mm\\:ss\\.fff}: no cycle started and no step was sent");
            }
        }
    }
}
