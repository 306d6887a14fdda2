namespace EtcdHygiene.Core.Planning;

/// <summary>What a step does to etcd.</summary>
public enum StepKind
{
    /// <summary>Compact history up to a revision (cluster-wide, physical).</summary>
    Compact,
    /// <summary>Hand leadership to another member before the leader is defragmented.</summary>
    MoveLeader,
    /// <summary>Defragment one member (stops the world on it).</summary>
    Defragment,
    /// <summary>Deactivate the NOSPACE alarm one member raised.</summary>
    DisarmNoSpace,
}

/// <summary>Why a compaction is planned.</summary>
public enum CompactionKind
{
    /// <summary>Periodic mode: drop history older than the retention window.</summary>
    Retention,
    /// <summary>Revision mode: keep the last N revisions.</summary>
    Revisions,
    /// <summary>NOSPACE escalation: compact to the current revision. Announced with a Warning.</summary>
    Emergency,
}

/// <summary>One planned action, with the reason that goes to logs, events, status and the check table.</summary>
public sealed record HygieneStep
{
    /// <summary>What the step does.</summary>
    public required StepKind Kind { get; init; }

    /// <summary>Why, in words a person on call understands.</summary>
    public required string Reason { get; init; }

    /// <summary>DisarmNoSpace: every member whose NOSPACE alarm it deactivates, in one step.</summary>
    public IReadOnlyList<ulong> MemberIds { get; init; } = [];

    /// <summary>The member acted on (Defragment) or leading now (MoveLeader).</summary>
    public ulong? MemberId { get; init; }

    /// <summary>That member's name.</summary>
    public string? MemberName { get; init; }

    /// <summary>MoveLeader: the member that will lead.</summary>
    public ulong? TargetMemberId { get; init; }

    /// <summary>That member's name.</summary>
    public string? TargetMemberName { get; init; }

    /// <summary>Compact: the revision to compact up to.</summary>
    public long? Revision { get; init; }

    /// <summary>Compact: why.</summary>
    public CompactionKind? Compaction { get; init; }

    /// <summary>True for steps a person should hear about (emergency compaction).</summary>
    public bool IsWarning { get; init; }

    /// <summary>A short title: "Defragment m2", "Compact to revision 1234 (Retention)".</summary>
    public string Title => Kind switch
    {
        StepKind.Compact => $"Compact to revision {Revision} ({Compaction})",
        StepKind.MoveLeader => $"Move leader {MemberName} -> {TargetMemberName}",
        StepKind.Defragment => $"Defragment {MemberName}",
        StepKind.DisarmNoSpace => $"Disarm NOSPACE of {MemberName}",
        _ => Kind.ToString(),
    };
}
