using EtcdHygiene.Core.Policy;
using EtcdHygiene.Testing.Simulation;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// Rule 2's "leader last": within one round of a policy's cycle, once the leader has been
/// defragmented in place, no other member is defragmented under that leader (a follower is done
/// before it). A compaction between two defragmentations starts a new round (an emergency
/// compaction, say, after which every member is defragmented again).
/// </summary>
internal static class LeaderLastInvariant
{
    public static IEnumerable<Violation> Check(SimulatedEtcdCluster cluster, IReadOnlyDictionary<string, HygienePolicy> policies,
        IReadOnlyDictionary<string, List<TimeSpan>> cycleEnds)
    {
        foreach (var group in cluster.Operations.Where(o => o.Kind == SimulatedOperationKind.Compact || (o.Kind == SimulatedOperationKind.Defragment && Succeeded(o))).GroupBy(o => o.Actor))
        {
            var ends = cycleEnds.GetValueOrDefault(group.Key) ?? [];
            var round = 0;
            foreach (var cycle in group.OrderBy(o => o.Started).GroupBy(o => (Cycle: ends.FindIndex(end => end >= o.Started), Round: o.Kind == SimulatedOperationKind.Compact ? ++round : round))
                         .Select(g => g.Where(o => o.Kind == SimulatedOperationKind.Defragment)))
            {
                var ops = cycle.OrderBy(o => o.Started).ToList();
                for (var i = 0; i < ops.Count; i++)
                {
                    var leader = ops[i].Before.LeaderId;
                    if (ops[i].MemberId != leader)
                    {
                        continue;
                    }
                    ExplorerTally.LeaderInPlace();
                    if (ops.Skip(i + 1).FirstOrDefault(o => o.Before.LeaderId == leader && o.MemberId != leader) is { } after)
                    {
                        yield return new Violation(2, after.Started,
                            $"{group.Key} defragmented {after.MemberId:x} after the leader {leader:x} in the same cycle (the leader goes last)");
                    }
                }
            }
        }
    }

    private static bool Succeeded(SimulatedOperation op) => op.Applied || (op.HasEnded && op.Ended > op.Started && op.Error is null);
}
