namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>One incarnation of a process: from its start to its kill (or the horizon).</summary>
internal sealed record ProcessLife(string Name, TimeSpan From, TimeSpan To);
