using EtcdHygiene.Core.Observation;
using EtcdHygiene.Etcd;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>Proving that something changed nothing: settle first, then compare what etcd reports.</summary>
public static class SnapshotComparison
{
    /// <summary>
    /// Observes until two observations half a second apart agree: after a burst of writes, followers
    /// are still applying and NOSPACE alarms are still being recorded, and "before" must not move.
    /// </summary>
    public static async Task<ClusterSnapshot> SettledAsync(EtcdClusterConnection etcd, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        var previous = await etcd.ObserveAsync();
        while (true)
        {
            await Task.Delay(500);
            var current = await etcd.ObserveAsync();
            if (Differences(previous, current).Count == 0)
            {
                return current;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the cluster kept changing: {string.Join("; ", Differences(previous, current))}");
            }
            previous = current;
        }
    }

    /// <summary>Every difference in revision, compaction, alarms, leader, sizes and in-use; empty when none.</summary>
    public static IReadOnlyList<string> Differences(ClusterSnapshot before, ClusterSnapshot after)
    {
        var differences = new List<string>();
        void Compare<T>(string what, T a, T b)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b))
            {
                differences.Add($"{what}: {a} -> {b}");
            }
        }
        Compare("revision", before.Revision, after.Revision);
        Compare("compacted revision", before.CompactRevision, after.CompactRevision);
        Compare("alarms", Describe(before.Alarms), Describe(after.Alarms));
        Compare("leader", before.Leader?.Id, after.Leader?.Id);
        foreach (var member in before.Members)
        {
            var later = after.Member(member.Id);
            Compare($"{member.Name} size", member.Status?.DbSizeBytes, later?.Status?.DbSizeBytes);
            Compare($"{member.Name} in use", member.Status?.DbSizeInUseBytes, later?.Status?.DbSizeInUseBytes);
        }
        return differences;
    }

    private static string Describe(IEnumerable<ActiveAlarm> alarms) =>
        string.Join(",", alarms.OrderBy(a => a.MemberId).Select(a => $"{a.Alarm}@{a.MemberId:x}"));
}
