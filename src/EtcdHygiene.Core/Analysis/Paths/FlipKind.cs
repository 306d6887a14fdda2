namespace EtcdHygiene.Core.Analysis.Paths;

/// <summary>How a JSON path differs between a key's previous value and its new one.</summary>
public enum FlipKind
{
    /// <summary>The same elements or members in another order: what a reorder-only rewrite is made of.</summary>
    Reordered,
    /// <summary>The value at the path changed (or appeared, or went away).</summary>
    Changed,
}
