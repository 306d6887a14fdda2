using EtcdHygiene.Core.Observation;

namespace EtcdHygiene.Core.Planning;

/// <summary>
/// What the engine remembers between cycles and across restarts (in status on Kubernetes, in a
/// state file in standalone mode). Without the revision samples a restart would either postpone
/// compaction by a whole retention period or have to guess, and guessing could compact past the window.
/// </summary>
public sealed record HygieneState
{
    /// <summary>
    /// The etcd cluster this state belongs to (hex, as etcdctl shows it); null until the first
    /// observation. State of one cluster would mislead the plans for another.
    /// </summary>
    public string? ClusterId { get; init; }

    /// <summary>
    /// When prevention (acting before NOSPACE) last did all it may and the live data still filled
    /// the quota. Until a member drops below the disarm ratio it is not tried again: compacting
    /// the retention window away every cycle would not help and would only destroy history.
    /// </summary>
    public DateTimeOffset? PreventionGaveUpAt { get; init; }

    /// <summary>Revision samples, oldest first.</summary>
    public IReadOnlyList<RevisionSample> Samples { get; init; } = [];

    /// <summary>When the engine last compacted.</summary>
    public DateTimeOffset? LastCompactionTime { get; init; }

    /// <summary>The revision it compacted up to.</summary>
    public long? LastCompactedRevision { get; init; }

    /// <summary>When each member (by hex id) was last defragmented.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> LastDefragTimes { get; init; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>When the last defragmentation finished.</summary>
    public DateTimeOffset? LastDefragTime { get; init; }

    /// <summary>Bytes the last defragmentation gave back.</summary>
    public long? LastDefragReclaimedBytes { get; init; }

    /// <summary>
    /// A defragmentation that was started and not seen to succeed: the run died during it, or it
    /// failed or timed out (etcd may still be running it). Saved before the request is sent, so the
    /// pause between members holds across a restart even when the end was never seen.
    /// </summary>
    public DefragStart? UnfinishedDefrag { get; init; }

    /// <summary>
    /// When the pause before the next defragmentation began: the end of the last one, or, for one
    /// whose end was never seen, the moment its member answered again (its start until then),
    /// whichever is later. Null when nothing was defragmented yet.
    /// </summary>
    public DateTimeOffset? PauseBegan() =>
        UnfinishedDefrag is { } unfinished && (unfinished.SeenOverAt ?? unfinished.StartedAt) is var over && (LastDefragTime is null || over > LastDefragTime)
            ? over
            : LastDefragTime;

    /// <summary>
    /// This state as it may be used for <paramref name="snapshot"/>'s cluster: bound to its id when
    /// it had none; dropped (with the reason in <paramref name="dropped"/>) when it belongs to
    /// another cluster or holds revisions the cluster cannot have, as after a recreated cluster or
    /// a restore behind the same endpoints. Unchanged when the cluster could not be observed.
    /// </summary>
    public HygieneState BoundTo(ClusterSnapshot snapshot, out string? dropped)
    {
        dropped = null;
        if (snapshot.ClusterId is not { } id || snapshot.Revision is not { } revision)
        {
            return this;
        }
        var hex = id.ToString("x");
        if (ClusterId is not null && ClusterId != hex)
        {
            dropped = $"the kept state belongs to etcd cluster {ClusterId}, but the endpoints now reach cluster {hex} (recreated or restored): " +
                "it is dropped and the cluster is planned for as a new one";
            return new HygieneState { ClusterId = hex };
        }
        var newest = Samples.Select(s => s.Revision).Append(LastCompactedRevision ?? 0).Max();
        if (newest > revision)
        {
            dropped = $"the kept state knows revision {newest}, but cluster {hex} is at revision {revision} (restored from a backup, or recreated " +
                "with the same id): it is dropped and the cluster is planned for as a new one";
            return new HygieneState { ClusterId = hex };
        }
        return this with { ClusterId = hex };
    }

    /// <summary>More samples than this are never kept.</summary>
    public const int MaxSamples = 64;

    /// <summary>
    /// Records the revision seen now, at most one sample per tenth of the retention (as etcd's own
    /// periodic compactor does), and drops samples no compaction can use any more: everything older
    /// than the newest sample that is already outside the window.
    /// </summary>
    public HygieneState WithSample(DateTimeOffset now, long revision, TimeSpan retention)
    {
        // A revision lower than a sample means etcd was restored or replaced: old samples lie.
        var samples = Samples.Where(s => s.Revision <= revision && s.At <= now).ToList();
        var spacing = retention / 10;
        if (samples.Count == 0 || now - samples[^1].At >= spacing)
        {
            samples.Add(new RevisionSample(now, revision));
        }
        var newestOutside = samples.FindLastIndex(s => s.At <= now - retention);
        if (newestOutside > 0)
        {
            samples.RemoveRange(0, newestOutside);
        }
        if (samples.Count > MaxSamples)
        {
            samples.RemoveRange(0, samples.Count - MaxSamples);
        }
        return this with { Samples = samples };
    }
}
