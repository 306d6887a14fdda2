using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;

namespace EtcdHygiene.Operator.Standalone;

/// <summary>A policy, the file it came from, and how to reach its cluster.</summary>
/// <param name="Policy">The validated policy.</param>
/// <param name="Path">Its file.</param>
/// <param name="Connection">Its connection options, Secrets read from the secrets folder at load.</param>
/// <param name="SecretsDirectory">Where its Secrets are (<c>--secrets-dir</c>), to read them again when rotated.</param>
public sealed record PolicySource(HygienePolicy Policy, string Path, EtcdConnectionOptions Connection, string? SecretsDirectory = null)
{
    /// <summary>The connection options with the Secrets as the files hold them now; a <see cref="PolicyFileException"/> says what is missing.</summary>
    public EtcdConnectionOptions ReadConnection() => MountedSecrets.OptionsFor(Policy, Path, SecretsDirectory);

    /// <summary>
    /// Loads every file and reads the Secrets each names from <paramref name="secretsDirectory"/>,
    /// refusing two files that name the same policy.
    /// </summary>
    public static IReadOnlyList<PolicySource> LoadAll(IEnumerable<string> paths, string? secretsDirectory)
    {
        var sources = paths.Select(p =>
        {
            var policy = PolicyFileReader.Load(p);
            return new PolicySource(policy, p, MountedSecrets.OptionsFor(policy, p, secretsDirectory), secretsDirectory);
        }).ToList();
        var duplicate = sources.GroupBy(s => s.Policy.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new PolicyFileException(
                $"{string.Join(" and ", duplicate.Select(s => s.Path))} both define policy {duplicate.Key}; each policy needs its own name (its state file is named after it)");
        }
        return sources;
    }
}
