using EtcdHygiene.Core.Analysis.Paths;

namespace EtcdHygiene.Core.Analysis;

/// <summary>One key group as the analyzer ranks it.</summary>
public sealed record GroupFinding
{
    /// <summary>The group, e.g. <c>/micro/registry/greeter/*</c>.</summary>
    public required string Group { get; init; }

    /// <summary>Writes counted in the window (at most the report's error bound fewer than the truth).</summary>
    public required long Writes { get; init; }

    /// <summary>Dated writes a minute (undated replayed history left out); null in the first second.</summary>
    public double? WritesPerMinute { get; init; }

    /// <summary>Replayed writes whose time is unknown: in <see cref="Writes"/> and the shares, not in the rates.</summary>
    public long UndatedWrites { get; init; }

    /// <summary>Writes by kind.</summary>
    public required IReadOnlyDictionary<WriteKind, long> ByKind { get; init; }

    /// <summary>Approximate bytes of history the writes created.</summary>
    public required long HistoryBytes { get; init; }

    /// <summary>History bytes an hour from the dated writes, null in the first second.</summary>
    public double? HistoryBytesPerHour { get; init; }

    /// <summary>Share of the history all analysed writes in the window created that this group's writes created.</summary>
    public double HistoryShare { get; init; }

    /// <summary>
    /// The JSON paths its sampled reorder-only and changed writes flipped, most first (see
    /// <see cref="FlipSampler"/>); empty when none was examined.
    /// </summary>
    public IReadOnlyList<PathFinding> Paths { get; init; } = [];

    /// <summary>The path its reorder-only writes reorder most, when one was examined.</summary>
    public PathFinding? ReorderedPath => Paths.FirstOrDefault(p => p.Kind == FlipKind.Reordered);

    /// <summary>The path its changed writes change most, when one was examined.</summary>
    public PathFinding? ChangedPath => Paths.FirstOrDefault(p => p.Kind == FlipKind.Changed);

    /// <summary>Share of the writes of <paramref name="kind"/>.</summary>
    public double Share(WriteKind kind) => Writes == 0 ? 0 : (double)ByKind.GetValueOrDefault(kind) / Writes;

    /// <summary>Writes that created a revision without changing what readers see.</summary>
    public long NoOpWrites => ByKind.Where(k => WriteClassifier.IsNoOp(k.Key)).Sum(k => k.Value);

    /// <summary>Share of no-op writes.</summary>
    public double NoOpShare => Writes == 0 ? 0 : (double)NoOpWrites / Writes;
}
