using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;

namespace EtcdHygiene.Core.Execution;

/// <summary>
/// What a front end does at points inside a cycle. A hook that fails is logged and the cycle
/// carries on, except for <see cref="StateTakenOverException"/>, which stops the cycle.
/// </summary>
public sealed class CycleHooks
{
    /// <summary>
    /// Runs before each step with the cluster as last observed: the front ends use it to save the
    /// churn evidence a NOSPACE compaction is about to destroy.
    /// </summary>
    public Func<HygieneStep, ClusterSnapshot, Task>? BeforeStep { get; init; }

    /// <summary>
    /// Persists the kept state each time it changes inside a cycle (a defragmentation about to
    /// start, a step done), so that a run killed mid-cycle restarts knowing what it already did.
    /// </summary>
    public Func<HygieneState, Task>? SaveProgress { get; init; }
}
