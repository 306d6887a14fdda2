namespace EtcdHygiene.Core.Analysis.Paths;

/// <summary>
/// One place where a key's new value differs from its previous one, e.g. <c>$.endpoints</c>
/// reordered, or <c>$.nodes[0].metadata.load</c> changed, with short excerpts of both sides.
/// </summary>
/// <param name="Path">The JSONPath of the flipping part.</param>
/// <param name="Kind">Reordered or changed.</param>
/// <param name="Before">A short excerpt of the previous value there (<see cref="ValueExcerpt"/>), never the whole value.</param>
/// <param name="After">The same of the new value.</param>
/// <param name="Tie">For a reordered array, what the swapped elements agree and differ on, when they do.</param>
public sealed record JsonFlip(string Path, FlipKind Kind, string Before, string After, SortTie? Tie = null);
