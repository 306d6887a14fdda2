using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Standalone;

/// <summary>A policy and the file it came from.</summary>
/// <param name="Policy">The validated policy.</param>
/// <param name="Path">Its file.</param>
public sealed record PolicySource(HygienePolicy Policy, string Path)
{
    /// <summary>Loads every file, refusing two files that name the same policy.</summary>
    public static IReadOnlyList<PolicySource> LoadAll(IEnumerable<string> paths)
    {
        var sources = paths.Select(p => new PolicySource(PolicyFile.Load(p), p)).ToList();
        var duplicate = sources.GroupBy(s => s.Policy.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new PolicyFileException(
                $"{string.Join(" and ", duplicate.Select(s => s.Path))} both define policy {duplicate.Key}; each policy needs its own name (its state file is named after it)");
        }
        return sources;
    }
}
