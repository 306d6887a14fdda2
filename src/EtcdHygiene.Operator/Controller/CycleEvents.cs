using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Operator.Supervision;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// What the operator tells as events: one for every step (done, failed or, in a dry run, would be
/// done), one for every warning note of the planner (its code is the reason), one for each
/// churning key group.
/// </summary>
public static class CycleEvents
{
    /// <summary>The events of one cycle, in the order things happened.</summary>
    public static IEnumerable<PolicyEvent> Of(CycleResult result)
    {
        foreach (var outcome in result.Steps)
        {
            yield return Of(outcome);
        }
        foreach (var note in result.Notes.Where(n => n.Severity == NoteSeverity.Warning))
        {
            yield return new PolicyEvent(PolicyEvent.Warning, EventReason.Of(note.Code), note.Message);
        }
    }

    /// <summary>
    /// One event per churning group to tell, with an example of what flips; and one for a failure
    /// of the analysis that retrying cannot cure, the first time it is seen.
    /// </summary>
    public static IEnumerable<PolicyEvent> Of(ChurnFindings findings)
    {
        foreach (var group in findings.ToAnnounce)
        {
            yield return new PolicyEvent(PolicyEvent.Warning, EventReason.ChurnDetected, ChurnRule.Describe(group) + ChurnRule.Example(group));
        }
        if (findings.ProblemToAnnounce is { } problem)
        {
            yield return new PolicyEvent(PolicyEvent.Warning, EventReason.AnalysisUnavailable,
                $"the churn analysis cannot read etcd, and retrying cannot cure it: {problem}. Hygiene goes on without it");
        }
    }

    private static PolicyEvent Of(StepOutcome outcome)
    {
        var step = outcome.Step;
        return outcome.Result switch
        {
            StepResult.Failed => new(PolicyEvent.Warning, EventReason.StepFailed, $"{step.Title} failed: {outcome.Error}"),
            StepResult.DryRun => new(PolicyEvent.Normal, EventReason.DryRun, $"would {step.Title}: {step.Reason}"),
            _ => step.Kind switch
            {
                StepKind.Compact when step.Compaction == CompactionKind.Emergency => new(PolicyEvent.Warning, EventReason.EmergencyCompaction, $"{step.Title}: {step.Reason}"),
                StepKind.Compact => new(PolicyEvent.Normal, EventReason.Compacted, $"{step.Title}: {step.Reason}"),
                StepKind.MoveLeader => new(PolicyEvent.Normal, EventReason.LeaderMoved, $"{step.Title}: {step.Reason}"),
                StepKind.Defragment => new(PolicyEvent.Normal, EventReason.Defragmented,
                    $"{step.Title} in {outcome.Duration.TotalSeconds:0.0}s, reclaimed {Quantity.FormatBytes(outcome.ReclaimedBytes ?? 0)}: {step.Reason}"),
                StepKind.DisarmNoSpace => new(PolicyEvent.Normal, EventReason.NoSpaceDisarmed, $"{step.Title}: {step.Reason}"),
                _ => new(PolicyEvent.Normal, new EventReason(step.Kind.ToString()), step.Reason),
            },
        };
    }
}
