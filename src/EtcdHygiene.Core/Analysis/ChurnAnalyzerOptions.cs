namespace EtcdHygiene.Core.Analysis;

/// <summary>How a <see cref="ChurnAnalyzer"/> counts and how much it may keep.</summary>
public sealed record ChurnAnalyzerOptions
{
    /// <summary>Rates are over this much recent time.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Leading path segments naming a group; null groups by parent path.</summary>
    public int? GroupDepth { get; init; }

    /// <summary>Groups and keys to report.</summary>
    public int Top { get; init; } = 10;

    /// <summary>Keys whose last value is held (12 bytes of facts + table overhead each, about 32 B).</summary>
    public int MaxTrackedKeys { get; init; } = 1_000_000;

    /// <summary>Groups and keys each slice of the window counts exactly (Space-Saving counters).</summary>
    public int CountersPerSlice { get; init; } = 512;

    /// <summary>Slices the window is cut into: more slices, a smoother slide.</summary>
    public int Slices { get; init; } = 10;
}
