using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;

namespace EtcdHygiene.Core.Execution;

/// <summary>What one hygiene cycle saw, did and decided not to do.</summary>
public sealed record CycleResult
{
    /// <summary>The first observation of the cycle.</summary>
    public required ClusterSnapshot Initial { get; init; }

    /// <summary>The last observation of the cycle (after the last step).</summary>
    public required ClusterSnapshot Final { get; init; }

    /// <summary>The plan made from the first observation.</summary>
    public required HygienePlan InitialPlan { get; init; }

    /// <summary>Every step executed (or reported, in a dry run), in order.</summary>
    public required IReadOnlyList<StepOutcome> Steps { get; init; }

    /// <summary>Every distinct note of the cycle's plans.</summary>
    public required IReadOnlyList<PlanNote> Notes { get; init; }

    /// <summary>The kept history after the cycle, to persist.</summary>
    public required HygieneState State { get; init; }

    /// <summary>When the cycle started and ended.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the cycle ended.</summary>
    public required DateTimeOffset FinishedAt { get; init; }

    /// <summary>True when the cycle was stopped (shutdown) before it finished its plan.</summary>
    public bool Interrupted { get; init; }

    /// <summary>True when the cluster could be observed: a member answered and the alarm list was read.</summary>
    public bool Observed => !Notes.Any(n => n.Code is NoteCode.ClusterUnreachable or NoteCode.AlarmsUnknown);

    /// <summary>True when the cluster could be observed and every member of it answered at the end.</summary>
    public bool ReachedEveryMember => Observed && Final.Members.All(m => m.Reachable);

    /// <summary>True when no step failed and the cluster could be observed.</summary>
    public bool Succeeded => Steps.All(s => s.Result != StepResult.Failed) && Observed;

    /// <summary>Bytes all defragmentations of the cycle gave back.</summary>
    public long ReclaimedBytes => Steps.Sum(s => s.ReclaimedBytes ?? 0);
}
