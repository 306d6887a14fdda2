namespace EtcdHygiene.Core.Analysis.Paths;

/// <summary>A flipping path of a key group: how many of the examined writes flipped it, and one example.</summary>
/// <param name="Path">The JSONPath, e.g. <c>$.endpoints</c>.</param>
/// <param name="Kind">Reordered or changed.</param>
/// <param name="Writes">Examined writes that flipped it.</param>
/// <param name="Examined">Examined writes of the same kind (reorder-only writes for a reordered path, changed writes for a changed one).</param>
/// <param name="Before">Excerpt of the previous value there, from one example.</param>
/// <param name="After">Excerpt of the new value there, from the same example.</param>
/// <param name="Tie">For a reordered array: what the swapped elements agree and differ on.</param>
public sealed record PathFinding(string Path, FlipKind Kind, long Writes, long Examined, string Before, string After, SortTie? Tie)
{
    /// <summary>Share of the examined writes of its kind that flipped this path.</summary>
    public double Share => Examined == 0 ? 0 : (double)Writes / Examined;
}
