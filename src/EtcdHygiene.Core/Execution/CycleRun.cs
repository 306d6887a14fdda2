using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Execution;

/// <summary>
/// What one run of <see cref="HygieneCycle"/> carries from move to move: its latest look, kept
/// state, plan and course, and what it did and said. Mutable, and private to the run; the
/// decisions are <see cref="CycleCourse"/>'s.
/// </summary>
internal sealed class CycleRun
{
    public required HygienePolicy Policy { get; init; }

    public required CycleHooks Hooks { get; init; }

    public required CycleProgress Progress { get; init; }

    /// <summary>When the cycle started, on the wall clock.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the cycle started, on the monotonic clock (a timestamp of the cycle's TimeProvider).</summary>
    public required long Began { get; init; }

    /// <summary>The first look.</summary>
    public required ClusterSnapshot Initial { get; init; }

    /// <summary>The plan made from the first look.</summary>
    public required HygienePlan FirstPlan { get; init; }

    /// <summary>The latest look.</summary>
    public required ClusterSnapshot Snapshot { get; set; }

    /// <summary>The kept state, up to date with the latest look and the steps taken.</summary>
    public required HygieneState State { get; set; }

    /// <summary>The plan made from the latest look.</summary>
    public required HygienePlan Plan { get; set; }

    /// <summary>The decisions so far.</summary>
    public required CycleCourse Course { get; set; }

    public List<StepOutcome> Outcomes { get; } = [];

    public List<PlanNote> Notes { get; } = [];

    /// <summary>The cycle stopped before its plan was done (a shutdown, the right to act lost, the state not saved).</summary>
    public bool Interrupted { get; set; }
}
