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
    /// <summary>Event reasons that are not a planner's note code.</summary>
    public const string StepFailed = nameof(StepFailed), DryRun = nameof(DryRun), EmergencyCompaction = nameof(EmergencyCompaction),
        Compacted = nameof(Compacted), LeaderMoved = nameof(LeaderMoved), Defragmented = nameof(Defragmented), NoSpaceDisarmed = nameof(NoSpaceDisarmed),
        ChurnDetected = nameof(ChurnDetected), InvalidSpec = nameof(InvalidSpec), NotAllowed = nameof(NotAllowed), SecretUnavailable = nameof(SecretUnavailable),
        AnalysisUnavailable = nameof(AnalysisUnavailable);

    /// <summary>The events of one cycle, in the order things happened.</summary>
    public static IEnumerable<PolicyEvent> Of(CycleResult result)
    {
        foreach (var outcome in result.Steps)
        {
            yield return Of(outcome);
        }
        foreach (var note in result.Notes.Where(n => n.Severity == NoteSeverity.Warning))
        {
            yield return new PolicyEvent(PolicyEvent.Warning, note.Code.ToString(), note.Message);
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
            yield return new PolicyEvent(PolicyEvent.Warning, ChurnDetected, ChurnRule.Describe(group) + ChurnRule.Example(group));
        }
        if (findings.ProblemToAnnounce is { } problem)
        {
            yield return new PolicyEvent(PolicyEvent.Warning, AnalysisUnavailable,
                $"the churn analysis cannot read etcd, and retrying cannot cure it: {problem}. Hygiene goes on without it");
        }
    }

    private static PolicyEvent Of(StepOutcome outcome)
    {
        var step = outcome.Step;
        return outcome.Result switch
        {
            StepResult.Failed => new(PolicyEvent.Warning, StepFailed, $"{step.Title} failed: {outcome.Error}"),
            StepResult.DryRun => new(PolicyEvent.Normal, DryRun, $"would {step.Title}: {step.Reason}"),
            _ => step.Kind switch
            {
                StepKind.Compact when step.Compaction == CompactionKind.Emergency => new(PolicyEvent.Warning, EmergencyCompaction, $"{step.Title}: {step.Reason}"),
                StepKind.Compact => new(PolicyEvent.Normal, Compacted, $"{step.Title}: {step.Reason}"),
                StepKind.MoveLeader => new(PolicyEvent.Normal, LeaderMoved, $"{step.Title}: {step.Reason}"),
                StepKind.Defragment => new(PolicyEvent.Normal, Defragmented,
                    $"{step.Title} in {outcome.Duration.TotalSeconds:0.0}s, reclaimed {Quantity.FormatBytes(outcome.ReclaimedBytes ?? 0)}: {step.Reason}"),
                StepKind.DisarmNoSpace => new(PolicyEvent.Normal, NoSpaceDisarmed, $"{step.Title}: {step.Reason}"),
                _ => new(PolicyEvent.Normal, step.Kind.ToString(), step.Reason),
            },
        };
    }
}
