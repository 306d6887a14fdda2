using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Testing.Simulation;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// The safety rules of docs/architecture.md, judged from the simulated cluster's side: every
/// mutating request it took, with its own state when the request arrived (alarms, sizes against the
/// quota, members, leader, the lock's holder), never from what the tool says it did.
/// </summary>
internal static class SafetyInvariants
{
    /// <summary>
    /// Every violation in the cluster's record, earliest first. <paramref name="written"/> says how
    /// many bytes the registry writes between two times: NOSPACE is "about to be" (and the pause and
    /// the retention may give way, as for NOSPACE itself) when a member's file plus twice what the
    /// registry wrote in the last two status polls plus what it writes before the policy's next
    /// routine cycle reaches the disarm ratio of the quota. Once near, it stays so for the rest of that policy's cycle
    /// (<paramref name="cycleEnds"/>): a recovery, or prevention, goes on until its cycle ends.
    /// </summary>
    public static List<Violation> Check(SimulatedEtcdCluster cluster, IReadOnlyDictionary<string, HygienePolicy> policies,
        IReadOnlyDictionary<string, PolicyDocument> documents, TimeSpan jumpedForward,
        Func<TimeSpan, TimeSpan, long> written, IReadOnlyDictionary<string, List<TimeSpan>> cycleEnds)
    {
        var violations = new List<Violation>();
        var urgentUntil = new Dictionary<string, TimeSpan>();
        var operations = cluster.Operations;
        SimulatedOperation? lastDefragmentation = null;
        for (var i = 0; i < operations.Count; i++)
        {
            var op = operations[i];
            var policy = policies[op.Actor];
            var process = op.Actor.Split('/')[0];
            var before = op.Before;
            void Broken(int rule, string what) => violations.Add(new Violation(rule, op.Started, $"{op.Actor} {Describe(op)}: {what}"));

            if (documents[op.Actor].MustBeRefused)
            {
                Broken(documents[op.Actor].InvalidField is null ? 12 : 5, $"its policy should have been refused: {documents[op.Actor].Change}");
            }
            if (policy.DryRun)
            {
                Broken(7, "the policy is a dry run");
            }
            if (before.Alarms.Any(a => a.Alarm == AlarmKind.Corrupt))
            {
                Broken(3, "a member is CORRUPT: nothing may be done to the cluster");
            }
            // Rule 9: one request at a time on the cluster, whoever sends it, and only by the lock's holder.
            if (operations.Take(i).FirstOrDefault(o => InFlight(o, op.Started)) is { } other)
            {
                Broken(9, $"{other.Actor}'s {Describe(other)} is still in flight (since {other.Started:hh\\:mm\\:ss\\.fff})");
            }
            if (before.LockHolders.GetValueOrDefault(policy.Etcd.LockPrefix) is { } holder && holder != process)
            {
                Broken(9, $"{holder} holds the cluster's lock");
            }
            // What the registry writes before the next routine cycle, and what it has just written
            // counted twice: prevention plans for the growth between the poll's last two looks going
            // on until the look after next (docs/architecture.md, "NOSPACE and prevention"), so a
            // burst is taken for a rate.
            var recent = written(op.Started - 2 * policy.Alarms.CheckInterval, op.Started);
            var coming = 2 * recent + written(op.Started, op.Started + policy.Compaction.Interval);
            var urgent = before.Alarms.Any(a => a.Alarm == AlarmKind.NoSpace)
                || before.Members.Any(m => m.FileBytes + coming >= policy.Alarms.DisarmBelowQuotaRatio * before.QuotaBytes);
            if (urgent)
            {
                urgentUntil[op.Actor] = cycleEnds.GetValueOrDefault(op.Actor)?.FirstOrDefault(end => end >= op.Started) is { } end && end > TimeSpan.Zero ? end : TimeSpan.MaxValue;
            }
            urgent |= urgentUntil.TryGetValue(op.Actor, out var until) && op.Started <= until;
            switch (op.Kind)
            {
                case SimulatedOperationKind.Compact:
                    // Rule 1 (and 8: a new cluster's history starts at its creation).
                    var allowed = policy.Compaction.Mode switch
                    {
                        CompactionMode.Periodic => cluster.RevisionAt(op.Started - policy.Compaction.Retention + jumpedForward, before.Generation),
                        CompactionMode.Revision => before.Revision - policy.Compaction.RetainRevisions,
                        _ => 0,
                    };
                    if (op.Revision > allowed && !(urgent && policy.Alarms.EmergencyCompaction == EmergencyCompaction.Latest))
                    {
                        Broken(1, $"inside the retention window (at most revision {allowed} may be compacted), with no NOSPACE listed or near (every member below {policy.Alarms.DisarmBelowQuotaRatio:P0} of the quota with the next interval's writes)");
                    }
                    break;
                case SimulatedOperationKind.Defragment:
                    var target = before.Members.FirstOrDefault(m => m.Id == op.MemberId);
                    if (target.Learner)
                    {
                        Broken(2, "the member is a learner");
                    }
                    if (before.LeaderId == 0)
                    {
                        Broken(2, "the cluster has no leader");
                    }
                    // The cycle looks again before each member, and again after any wait for its turn longer than a
                    // second: its look may be that old when the request arrives, so a voter down for less is not counted.
                    if (before.Members.FirstOrDefault(m => !m.Learner && m.Id != op.MemberId && m.State != SimulatedMemberState.Running
                                                           && op.Started - m.StateSince >= LookAge) is { Id: > 0 } down)
                    {
                        Broken(2, $"voter {down.Id:x} is {down.State} since {down.StateSince:hh\\:mm\\:ss\\.fff}");
                    }
                    if (before.Members.FirstOrDefault(m => m.Defragmenting) is { Id: > 0 } busy)
                    {
                        Broken(2, $"member {busy.Id:x} is still defragmenting");
                    }
                    if (lastDefragmentation is { } previous && !urgent
                        && op.Started - End(previous) < policy.Defragmentation.PauseBetweenMembers)
                    {
                        Broken(2, $"only {(op.Started - End(previous)).TotalSeconds:0.0}s after the defragmentation of {previous.MemberId:x} ended (pause {policy.Defragmentation.PauseBetweenMembers.TotalSeconds:0}s), with no NOSPACE listed or near (every member below {policy.Alarms.DisarmBelowQuotaRatio:P0} of the quota with the next interval's writes)");
                    }
                    break;
                case SimulatedOperationKind.MoveLeader:
                    if (!policy.Defragmentation.MoveLeader)
                    {
                        Broken(2, "leadership moved, but the policy defragments the leader in place (moveLeader false)");
                    }
                    break;
                case SimulatedOperationKind.DisarmNoSpace:
                    if (!policy.Alarms.DisarmNoSpace)
                    {
                        Broken(3, "the policy says disarmNoSpace: false");
                    }
                    if (before.Members.FirstOrDefault(m => m.FileBytes >= policy.Alarms.DisarmBelowQuotaRatio * before.QuotaBytes) is { Id: > 0 } full)
                    {
                        Broken(3, $"member {full.Id:x} holds {full.FileBytes} bytes, at or above {policy.Alarms.DisarmBelowQuotaRatio:P0} of the quota {before.QuotaBytes}");
                    }
                    break;
            }
            if (op.Kind == SimulatedOperationKind.Defragment && (op.Applied || (op.HasEnded && op.Ended > op.Started && op.Error is null)))
            {
                lastDefragmentation = op;
            }
        }
        return violations;
    }

    /// <summary>How old the cycle's look may be when its request arrives (HygieneCycle looks again after a longer wait for its turn).</summary>
    private static readonly TimeSpan LookAge = TimeSpan.FromSeconds(1);

    /// <summary>Started and not ended at <paramref name="at"/>; a request that never ended is in flight for ever.</summary>
    private static bool InFlight(SimulatedOperation op, TimeSpan at) => op.Started <= at && (End(op) > at);

    private static TimeSpan End(SimulatedOperation op) => op.HasEnded ? op.Ended : TimeSpan.MaxValue;

    private static string Describe(SimulatedOperation op) => op.Kind switch
    {
        SimulatedOperationKind.Compact => $"compacted to {op.Revision}",
        SimulatedOperationKind.Defragment => $"defragmented {op.MemberId:x}",
        SimulatedOperationKind.MoveLeader => $"moved leadership to {op.MemberId:x}",
        _ => $"disarmed NOSPACE of {op.MemberId:x}",
    };
}
