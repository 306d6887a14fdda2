namespace EtcdHygiene.Core.Planning;

/// <summary>Why a cycle ends.</summary>
public enum CycleEnd
{
    /// <summary>The plan has no step left (or none it may take now).</summary>
    NothingLeft,

    /// <summary>
    /// The cycle took as many steps as a cycle may (<see cref="CycleCourse.StepBudget"/>): a
    /// planner that keeps finding work must not hold the cluster's lane for ever.
    /// </summary>
    StepBudgetSpent,

    /// <summary>The process is stopping: the plan was not finished.</summary>
    Stopping,
}
