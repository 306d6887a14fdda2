using EtcdHygiene.Core.Observation;

namespace EtcdHygiene.Core.Planning;

/// <summary>
/// A physical compaction returns once the member that took the request has applied it; the
/// others apply it a moment later, and etcd reports the freed pages in dbSizeInUse only after
/// its next backend commits. Planning at once would see unfragmented followers and a fragmented
/// leader, and defragment in the wrong order. So the cycle looks again, boundedly, until
/// <see cref="Settled"/> says every member has finished the compaction and its in-use size has
/// stopped falling.
/// </summary>
public static class CompactionSettle
{
    /// <summary>The longest the cycle waits for a compaction to settle (on its monotonic clock).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Just above etcd's default backend batch interval (100 ms): two readings that far apart have a
    /// commit between them, so an in-use size that has not dropped yet cannot pass for steady.
    /// </summary>
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(120);

    /// <summary>
    /// True when every member that answers in <paramref name="current"/> has applied a compaction
    /// more than in <paramref name="before"/> (the look before it was sent), and its in-use size
    /// moved no more than ordinary traffic moves it since <paramref name="previous"/>.
    /// </summary>
    public static bool Settled(ClusterSnapshot before, ClusterSnapshot previous, ClusterSnapshot current) =>
        Applied(before, current) && Steady(previous, current);

    private static bool Applied(ClusterSnapshot before, ClusterSnapshot after) =>
        after.Members.Where(m => m.Reachable).All(m =>
            m.FinishedCompactions is null
            || before.Member(m.Id)?.FinishedCompactions is not { } earlier
            || m.FinishedCompactions > earlier);

    // Registries keep writing, so "steady" allows the small drift of ordinary traffic.
    private static bool Steady(ClusterSnapshot previous, ClusterSnapshot current) =>
        current.Members.Where(m => m.Reachable).All(m =>
            previous.Member(m.Id)?.Status is { } earlier
            && Math.Abs(earlier.DbSizeInUseBytes - m.Status!.DbSizeInUseBytes) <= Math.Max(64 * 1024, m.Status.DbSizeBytes / 100));
}
