using EtcdHygiene.Core.Watching;

namespace EtcdHygiene.Core.Planning;

/// <summary>
/// What the current cycle has done so far. The executor re-plans after every step; this is how the
/// planner knows a member was already defragmented since the last compaction, or that the NOSPACE
/// escalation was already used, so a cycle always ends.
/// </summary>
public sealed class CycleProgress
{
    private readonly HashSet<ulong> _defraggedSinceCompaction = [];
    private readonly HashSet<ulong> _defraggedThisCycle = [];

    /// <summary>The growth the watch measured before this cycle; prevention plans for the sizes members will have.</summary>
    public GrowthOutlook Outlook { get; init; } = GrowthOutlook.None;

    /// <summary>A compaction ran in this cycle.</summary>
    public bool Compacted { get; private set; }

    /// <summary>The NOSPACE emergency compaction ran in this cycle.</summary>
    public bool EmergencyCompacted { get; private set; }

    /// <summary>This cycle acts as at NOSPACE before etcd raised it (prevention), until every member is below the disarm ratio.</summary>
    public bool Preempting { get; private set; }

    /// <summary>Records that the cycle started prevention.</summary>
    public void RecordPreemption() => Preempting = true;

    /// <summary>Members defragmented since this cycle's last compaction.</summary>
    public IReadOnlySet<ulong> DefraggedSinceCompaction => _defraggedSinceCompaction;

    /// <summary>Members defragmented in this cycle.</summary>
    public IReadOnlySet<ulong> DefraggedThisCycle => _defraggedThisCycle;

    /// <summary>Records a compaction: every member may have pages to give back again.</summary>
    public void RecordCompaction(CompactionKind kind)
    {
        Compacted = true;
        EmergencyCompacted |= kind == CompactionKind.Emergency;
        _defraggedSinceCompaction.Clear();
    }

    /// <summary>Records a defragmentation of one member.</summary>
    public void RecordDefragmentation(ulong memberId)
    {
        _defraggedSinceCompaction.Add(memberId);
        _defraggedThisCycle.Add(memberId);
    }
}
