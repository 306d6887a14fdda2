namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>When a policy's cycle started and ended, on the schedule's monotonic clock, and whether its first look saw NOSPACE.</summary>
internal sealed record CycleSpan(TimeSpan Start, TimeSpan End, bool SawNoSpace);
