using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// One world the explorer plays: the cluster, the processes and their policies, and what happens,
/// when. Made from a seed by <see cref="ScheduleGenerator"/>; the shrinker removes events from it.
/// </summary>
public sealed record Schedule
{
    /// <summary>The seed it was made from.</summary>
    public required int Seed { get; init; }

    /// <summary>Voting members.</summary>
    public required int Members { get; init; }

    /// <summary>The quota of every member.</summary>
    public required long QuotaBytes { get; init; }

    /// <summary>The etcd version the members report.</summary>
    public required string Version { get; init; }

    /// <summary>True when that version has etcd's defect: a crash during a defragmentation loses acknowledged writes.</summary>
    public required bool DefragCrashLosesWrites { get; init; }

    /// <summary>The policies each process is given (process index → policies); every admitted one names the one cluster.</summary>
    public required IReadOnlyList<IReadOnlyList<PolicyDocument>> Processes { get; init; }

    /// <summary>How long the world runs.</summary>
    public required TimeSpan Horizon { get; init; }

    /// <summary>What happens, in time order.</summary>
    public required IReadOnlyList<WorldEvent> Events { get; init; }

    /// <inheritdoc />
    public override string ToString()
    {
        var policies = Processes.Select((p, i) => $"  p{i}: " + string.Join("; ", p));
        return $"seed {Seed}: {Members} members, quota {Quantity.FormatBytes(QuotaBytes)}, etcd {Version}{(DefragCrashLosesWrites ? " (crash while defragmenting loses writes)" : "")}, {Horizon.TotalMinutes:0} min\n" +
               string.Join("\n", policies) + "\n" +
               string.Join("\n", Events.Where(e => e.Kind != WorldEventKind.Write).Select(e => $"  {e}")) +
               $"\n  ({Events.Count(e => e.Kind == WorldEventKind.Write)} writes, {Quantity.FormatBytes(Events.Where(e => e.Kind == WorldEventKind.Write).Sum(e => e.Count * e.Bytes))} in all)";
    }
}
