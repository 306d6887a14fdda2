namespace EtcdHygiene.Core.Analysis;

/// <summary>What the analyzer found, ranked by waste: no-op writes, then history.</summary>
public sealed record ChurnReport
{
    /// <summary>When the report was made.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The time the counts cover (at most the window), null when unknown.</summary>
    public TimeSpan? Covered { get; init; }

    /// <summary>Top groups, most no-op writes first (then most history).</summary>
    public required IReadOnlyList<GroupFinding> Groups { get; init; }

    /// <summary>Top keys with their writes in the window, most first.</summary>
    public required IReadOnlyList<(string Key, long Writes)> Keys { get; init; }

    /// <summary>How many writes a group's count may miss (sketch error, summed over the window's slices).</summary>
    public required long ErrorBound { get; init; }

    /// <summary>History every analysed write in the window created, whatever its group.</summary>
    public long HistoryBytes { get; init; }

    /// <summary>Events analysed since the start, in and out of the window.</summary>
    public required long Events { get; init; }

    /// <summary>The first and last revisions analysed; null before any event.</summary>
    public (long First, long Last)? Revisions { get; init; }

    /// <summary>Keys whose last value is held.</summary>
    public required int TrackedKeys { get; init; }

    /// <summary>Keys forgotten to stay within the cap.</summary>
    public required long EvictedKeys { get; init; }

    /// <summary>The groups that churn, by <see cref="ChurnRule"/>.</summary>
    public IReadOnlyList<GroupFinding> Churning => Groups.Where(ChurnRule.IsChurning).ToList();
}
