namespace EtcdHygiene.Core.Planning;

/// <summary>
/// What the engine remembers between cycles and across restarts (in status on Kubernetes, in a
/// state file in standalone mode). Without the revision samples a restart would either postpone
/// compaction by a whole retention period or have to guess, and guessing could compact past the window.
/// </summary>
public sealed record HygieneState
{
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
    /// When the pause before the next defragmentation began: the end of the last one, or the start of
    /// one whose end was never seen, whichever is later. Null when nothing was defragmented yet.
    /// </summary>
    public DateTimeOffset? PauseBegan() =>
        UnfinishedDefrag is { } unfinished && (LastDefragTime is null || unfinished.StartedAt > LastDefragTime)
            ? unfinished.StartedAt
            : LastDefragTime;

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
