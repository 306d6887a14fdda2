using EtcdHygiene.Core.Execution;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>A cycle the <see cref="PolicySupervisor"/> ran, and when the next one is due.</summary>
/// <param name="Result">What the cycle saw and did.</param>
/// <param name="NextCycleIn">How long until the next cycle.</param>
public sealed record SupervisedCycle(CycleResult Result, TimeSpan NextCycleIn);
