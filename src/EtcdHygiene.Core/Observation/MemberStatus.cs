namespace EtcdHygiene.Core.Observation;

/// <summary>The fields of an etcd Status response that hygiene decisions use.</summary>
public sealed record MemberStatus
{
    /// <summary>The etcd server version, e.g. 3.4.23.</summary>
    public required string Version { get; init; }

    /// <summary>Physical size of the backend file: what etcd checks against the quota.</summary>
    public required long DbSizeBytes { get; init; }

    /// <summary>Bytes of the backend holding live data (etcd 3.4 and later).</summary>
    public required long DbSizeInUseBytes { get; init; }

    /// <summary>The member's current key-value revision (from the response header).</summary>
    public required long Revision { get; init; }

    /// <summary>The leader this member follows; 0 when it knows of none.</summary>
    public required ulong LeaderId { get; init; }

    /// <summary>The raft index of the member.</summary>
    public required ulong RaftIndex { get; init; }

    /// <summary>The raft term of the member.</summary>
    public required ulong RaftTerm { get; init; }

    /// <summary>Error strings the member reports, e.g. "memberID:… alarm:NOSPACE".</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>The id of the cluster the member belongs to (every response header carries it).</summary>
    public ulong ClusterId { get; init; }
}
