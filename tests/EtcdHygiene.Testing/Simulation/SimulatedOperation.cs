using EtcdHygiene.Core.Observation;

namespace EtcdHygiene.Testing.Simulation;

/// <summary>A mutating request the simulated cluster took.</summary>
public enum SimulatedOperationKind
{
    /// <summary>Compact.</summary>
    Compact,
    /// <summary>Defragment one member.</summary>
    Defragment,
    /// <summary>MoveLeader.</summary>
    MoveLeader,
    /// <summary>AlarmDisarm of NOSPACE.</summary>
    DisarmNoSpace,
}

/// <summary>
/// One mutating request as the simulated cluster saw it, with the cluster's own state when it
/// arrived: what the invariants of the schedule explorer judge, instead of what the tool says it did.
/// </summary>
public sealed record SimulatedOperation
{
    /// <summary>What was asked.</summary>
    public required SimulatedOperationKind Kind { get; init; }

    /// <summary>Who asked (the connection's actor name).</summary>
    public required string Actor { get; init; }

    /// <summary>The member addressed (defragment, disarm, move-leader target).</summary>
    public ulong? MemberId { get; init; }

    /// <summary>The compaction's revision.</summary>
    public long? Revision { get; init; }

    /// <summary>When it arrived (monotonic).</summary>
    public required TimeSpan Started { get; init; }

    /// <summary>
    /// When the cluster finished it (monotonic); for a defragmentation that outlived its timeout, when
    /// the member did; for a request left waiting by a killed process, when the process died.
    /// </summary>
    public TimeSpan Ended { get; private set; }

    /// <summary>True once <see cref="Ended"/> is known.</summary>
    public bool HasEnded { get; private set; }

    /// <summary>Sets the end, once: the first end known is the one that happened.</summary>
    internal void End(TimeSpan at)
    {
        if (!HasEnded)
        {
            Ended = at;
            HasEnded = true;
        }
    }

    /// <summary>Ends it earlier than it was to end: the member stopped under a defragmentation that outlived its timeout.</summary>
    internal void CutShort(TimeSpan at)
    {
        if (!HasEnded || Ended > at)
        {
            Ended = at;
            HasEnded = true;
        }
    }

    /// <summary>True once the cluster carried it out (a defragmentation the caller gave up on may still be).</summary>
    public bool Applied { get; internal set; }

    /// <summary>The error the caller got, or null.</summary>
    public string? Error { get; internal set; }

    /// <summary>The cluster as it was when the request arrived.</summary>
    public required SimulatedClusterState Before { get; init; }
}

/// <summary>The simulated cluster's own facts at one moment.</summary>
public sealed record SimulatedClusterState
{
    /// <summary>The alarms raised.</summary>
    public required IReadOnlyList<ActiveAlarm> Alarms { get; init; }

    /// <summary>Each member: id, learner, state, file size, whether it is defragmenting.</summary>
    public required IReadOnlyList<(ulong Id, bool Learner, SimulatedMemberState State, TimeSpan StateSince, long FileBytes, bool Defragmenting)> Members { get; init; }

    /// <summary>The leader's id, 0 without one.</summary>
    public required ulong LeaderId { get; init; }

    /// <summary>The quota.</summary>
    public required long QuotaBytes { get; init; }

    /// <summary>The current revision.</summary>
    public required long Revision { get; init; }

    /// <summary>The compacted revision.</summary>
    public required long CompactRevision { get; init; }

    /// <summary>How many times the cluster had been recreated.</summary>
    public required int Generation { get; init; }

    /// <summary>Who holds each lock prefix (null: nobody).</summary>
    public required IReadOnlyDictionary<string, string?> LockHolders { get; init; }
}
