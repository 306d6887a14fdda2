namespace EtcdHygiene.Core.Analysis.Paths;

/// <summary>
/// The flipping paths of one key group within one slice of the window: counts per path for the
/// first <see cref="MaxPaths"/> paths met, with the first example of each. Writes of a group flip
/// the same few paths again and again; a path met after the table is full is not counted.
/// </summary>
public sealed class FlipTally
{
    /// <summary>Paths counted per group and slice.</summary>
    public const int MaxPaths = 8;

    private readonly Dictionary<(string Path, FlipKind Kind), (long Writes, JsonFlip Example)> _paths = [];

    /// <summary>Reorder-only writes examined.</summary>
    public long ReorderedExamined { get; private set; }

    /// <summary>Changed writes examined.</summary>
    public long ChangedExamined { get; private set; }

    /// <summary>Counts one examined write of <paramref name="kind"/> and the paths it flipped.</summary>
    public void Add(WriteKind kind, IReadOnlyList<JsonFlip> flips)
    {
        if (kind == WriteKind.ReorderOnlyRewrite)
        {
            ReorderedExamined++;
        }
        else
        {
            ChangedExamined++;
        }
        foreach (var flip in flips.DistinctBy(f => (f.Path, f.Kind)))
        {
            Count((flip.Path, flip.Kind), 1, flip);
        }
    }

    /// <summary>Adds another slice's tally of the same group.</summary>
    public void Add(FlipTally other)
    {
        ReorderedExamined += other.ReorderedExamined;
        ChangedExamined += other.ChangedExamined;
        foreach (var (path, (writes, example)) in other._paths)
        {
            Count(path, writes, example);
        }
    }

    /// <summary>The paths flipped most, most first.</summary>
    public IReadOnlyList<PathFinding> Top(int count) =>
        _paths.OrderByDescending(p => p.Value.Writes).ThenBy(p => p.Key.Path, StringComparer.Ordinal).Take(count)
            .Select(p => new PathFinding(p.Key.Path, p.Key.Kind, p.Value.Writes,
                p.Key.Kind == FlipKind.Reordered ? ReorderedExamined : ChangedExamined, p.Value.Example.Before, p.Value.Example.After, p.Value.Example.Tie))
            .ToList();

    private void Count((string Path, FlipKind Kind) path, long writes, JsonFlip example)
    {
        if (_paths.TryGetValue(path, out var counted))
        {
            _paths[path] = (counted.Writes + writes, counted.Example.Tie is null && example.Tie is not null ? example : counted.Example);
        }
        else if (_paths.Count < MaxPaths)
        {
            _paths[path] = (writes, example);
        }
    }
}
