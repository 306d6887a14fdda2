namespace EtcdHygiene.Core.Analysis.Paths;

/// <summary>
/// What the array elements that swapped places have in common and what tells them apart: when they
/// agree on some field and differ on another, the writer most likely sorts by the field they agree
/// on, with ties left in whatever order the sort (or a map) gives — an unstable sort.
/// </summary>
/// <param name="AgreeOn">Fields (relative to the element, e.g. <c>metadata.topic</c>) with one value in every swapped element.</param>
/// <param name="DifferOn">A field whose value tells the swapped elements apart, e.g. <c>name</c>: a sort key without ties.</param>
public sealed record SortTie(IReadOnlyList<string> AgreeOn, string DifferOn);
