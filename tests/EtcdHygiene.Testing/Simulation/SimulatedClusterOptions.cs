namespace EtcdHygiene.Testing.Simulation;

/// <summary>How a <see cref="SimulatedEtcdCluster"/> starts.</summary>
public sealed record SimulatedClusterOptions
{
    /// <summary>Voting members.</summary>
    public int Members { get; init; } = 3;

    /// <summary>Learners (non-voting members) besides the voters.</summary>
    public int Learners { get; init; }

    /// <summary>The backend quota of every member (etcd's default: 2 GiB).</summary>
    public long QuotaBackendBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>The version every member reports.</summary>
    public string Version { get; init; } = "3.4.23";

    /// <summary>The size of a fresh member's file (bbolt's first pages).</summary>
    public long InitialFileBytes { get; init; } = 20 * 1024;

    /// <summary>How fast a member rewrites its file while defragmenting.</summary>
    public long DefragBytesPerSecond { get; init; } = 100L * 1024 * 1024;

    /// <summary>
    /// True for the versions etcd's advisory names (before 3.4.22, 3.5.0 to 3.5.5): a member that
    /// crashes during an online defragmentation comes back with inconsistent data, acknowledged
    /// writes lost. Said by the world, not judged from <see cref="Version"/>, so that the tool's own
    /// table of those versions is checked against it rather than used by it.
    /// </summary>
    public bool DefragCrashLosesWrites { get; init; }
}
