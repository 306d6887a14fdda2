namespace EtcdHygiene.Testing.Etcd;

/// <summary>
/// Checks the maintenance safety rules from etcd's side: the members' own logs say when each
/// defragmentation really ran and which revisions were compacted, whatever the tool believed.
/// Each check returns the violations it found, in words; empty when the rule held.
/// </summary>
public sealed class MaintenanceAudit
{
    /// <summary>Reads every member's log of <paramref name="cluster"/> now.</summary>
    public MaintenanceAudit(EtcdTestCluster cluster)
    {
        var events = cluster.Members.SelectMany(EtcdMemberLog.Read).OrderBy(e => e.At).ToList();
        Defragmentations = Pair(events);
        Compactions = events.Where(e => e.Kind == EtcdLogEventKind.Compacted).GroupBy(e => e.Revision!.Value)
            .Select(g => (g.Key, g.Min(e => e.At))).OrderBy(c => c.Item2).ToList();
    }

    /// <summary>Every defragmentation etcd ran, by start.</summary>
    public IReadOnlyList<EtcdDefragmentation> Defragmentations { get; }

    /// <summary>Each compacted revision, with the first moment a member logged it.</summary>
    public IReadOnlyList<(long Revision, DateTimeOffset At)> Compactions { get; }

    /// <summary>Defragmentations that ran at the same time as another (one member at a time).</summary>
    public IReadOnlyList<string> Overlaps()
    {
        var problems = new List<string>();
        for (var i = 1; i < Defragmentations.Count; i++)
        {
            var current = Defragmentations[i];
            foreach (var earlier in Defragmentations.Take(i).Where(e => e.Member != current.Member && e.Until > current.Start))
            {
                problems.Add($"{current.Member} began defragmenting at {current.Start:HH:mm:ss.fff} while {earlier}");
            }
        }
        return problems;
    }

    /// <summary>
    /// Defragmentations that began less than <paramref name="pause"/> after the previous one ended,
    /// except those <paramref name="mayHurry"/> allows (at NOSPACE the pause is not waited).
    /// After a defragmentation that was cut short (its member killed) nothing is checked.
    /// </summary>
    public IReadOnlyList<string> ShortPauses(TimeSpan pause, Func<EtcdDefragmentation, bool> mayHurry)
    {
        var problems = new List<string>();
        for (var i = 1; i < Defragmentations.Count; i++)
        {
            var (previous, current) = (Defragmentations[i - 1], Defragmentations[i]);
            // etcd's timestamps are milliseconds in 3.4; the tool's pause is measured outside the RPCs, so it is never shorter here.
            if (previous.End is { } end && current.Start - end < pause - TimeSpan.FromMilliseconds(5) && !mayHurry(current))
            {
                problems.Add($"{current.Member} began defragmenting {(current.Start - end).TotalSeconds:0.000}s after {previous} (pause {pause.TotalSeconds:0.#}s)");
            }
        }
        return problems;
    }

    /// <summary>
    /// Compactions past the retention window: to a revision newer than the one current
    /// <paramref name="retention"/> before, as <paramref name="revisions"/> recorded it; except the
    /// ones <paramref name="announced"/> allows (an emergency compaction, announced as such).
    /// </summary>
    public IReadOnlyList<string> CompactionsInsideTheWindow(RevisionSampler revisions, TimeSpan retention, Func<long, bool> announced)
    {
        var problems = new List<string>();
        foreach (var (revision, at) in Compactions.Where(c => !announced(c.Revision)))
        {
            var limit = revisions.RevisionNoOlderThanAt(at - retention);
            if (limit is null || revision > limit)
            {
                problems.Add($"compacted to revision {revision} at {at:HH:mm:ss.fff}, but the revision {retention.TotalSeconds:0.#}s before was at most {limit?.ToString() ?? "unknown (no sample)"}");
            }
        }
        return problems;
    }

    private static List<EtcdDefragmentation> Pair(IReadOnlyList<EtcdLogEvent> events)
    {
        var defragmentations = new List<EtcdDefragmentation>();
        foreach (var member in events.GroupBy(e => e.Member))
        {
            EtcdLogEvent? open = null;
            foreach (var e in member)
            {
                switch (e.Kind)
                {
                    case EtcdLogEventKind.DefragmentStarted:
                        open = e;
                        break;
                    case EtcdLogEventKind.DefragmentFinished when open is not null:
                        defragmentations.Add(new EtcdDefragmentation(member.Key, open.At, e.At, e.At));
                        open = null;
                        break;
                    case EtcdLogEventKind.Started when open is not null:
                        // Killed during it: it lasted at most until the member started again.
                        defragmentations.Add(new EtcdDefragmentation(member.Key, open.At, null, e.At));
                        open = null;
                        break;
                }
            }
            if (open is not null)
            {
                defragmentations.Add(new EtcdDefragmentation(member.Key, open.At, null, DateTimeOffset.MaxValue));
            }
        }
        return defragmentations.OrderBy(d => d.Start).ToList();
    }
}
