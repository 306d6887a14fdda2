namespace EtcdHygiene.Testing.Simulation;

/// <summary>How a simulated member answers.</summary>
public enum SimulatedMemberState
{
    /// <summary>Running and answering.</summary>
    Running,
    /// <summary>Stopped: connections are refused at once.</summary>
    Stopped,
    /// <summary>Hung (SIGSTOP, a stuck disk): connections open, nothing answers until a timeout.</summary>
    Hung,
}

/// <summary>One member of a <see cref="SimulatedEtcdCluster"/>: its file, what it reports in use, and how it answers.</summary>
public sealed class SimulatedMember
{
    internal SimulatedMember(ulong id, string name, bool learner, long fileBytes)
    {
        Id = id;
        Name = name;
        IsLearner = learner;
        FileBytes = fileBytes;
        ReportedInUseBytes = fileBytes;
        PendingInUseBytes = fileBytes;
    }

    /// <summary>etcd's member id.</summary>
    public ulong Id { get; }

    /// <summary>The member's name.</summary>
    public string Name { get; }

    /// <summary>True for a learner.</summary>
    public bool IsLearner { get; internal set; }

    /// <summary>How it answers.</summary>
    public SimulatedMemberState State
    {
        get => _state;
        internal set
        {
            if (value != _state)
            {
                _state = value;
                StateSince = Clock();
            }
        }
    }

    private SimulatedMemberState _state = SimulatedMemberState.Running;

    /// <summary>Since when (monotonic) it has been in <see cref="State"/>.</summary>
    public TimeSpan StateSince { get; private set; }

    /// <summary>The cluster's clock, read when the state changes.</summary>
    internal Func<TimeSpan> Clock { get; set; } = () => TimeSpan.Zero;

    /// <summary>The physical size of its backend file: what the quota is checked against.</summary>
    public long FileBytes { get; internal set; }

    /// <summary>The in-use size its Status reports now.</summary>
    public long ReportedInUseBytes { get; internal set; }

    /// <summary>The in-use size a compaction left, reported once a later write commits.</summary>
    internal long PendingInUseBytes { get; set; }

    /// <summary>Until when (monotonic) it is busy defragmenting; it serves no linearizable read meanwhile.</summary>
    public TimeSpan DefragmentingUntil { get; internal set; }

    /// <summary>The compactions it has finished applying.</summary>
    public long FinishedCompactions { get; internal set; }

    /// <summary>The revision it compacted to.</summary>
    public long CompactRevision { get; internal set; }

    /// <summary>Its client URL, made for the cluster id it was made for.</summary>
    internal (ulong Cluster, string Text)? Url { get; set; }

    /// <summary>How many times it was stopped: a request that began before a stop ends with it.</summary>
    internal int Stops { get; set; }

    /// <summary>True while it answers requests.</summary>
    public bool Answers => State == SimulatedMemberState.Running;
}
