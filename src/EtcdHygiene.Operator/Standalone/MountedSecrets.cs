using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Supervision;

namespace EtcdHygiene.Operator.Standalone;

/// <summary>
/// The Secrets of a policy run outside Kubernetes, read from files. The Secrets a policy names are read
/// from <c>--secrets-dir</c>, laid out as Kubernetes mounts a Secret: one folder per Secret, one
/// file per key (<c>DIR/etcd-client-tls/ca.crt</c>, <c>DIR/etcd-auth/password</c>), so the same
/// policy file works in both front ends.
/// </summary>
public static class MountedSecrets
{
    /// <summary>The etcd options of <paramref name="policy"/>, or a <see cref="PolicyFileException"/> saying what is missing.</summary>
    public static EtcdConnectionOptions OptionsFor(HygienePolicy policy, string source, string? secretsDirectory)
    {
        var refs = new[]
        {
            policy.Etcd.TlsSecretName is null ? null : "spec.etcd.tlsSecretRef",
            policy.Etcd.CredentialsSecretName is null ? null : "spec.etcd.credentialsSecretRef",
        }.OfType<string>().ToList();
        if (refs.Count > 0 && secretsDirectory is null)
        {
            throw new PolicyFileException(
                $"{source}: {string.Join(" and ", refs)} name Kubernetes Secrets: pass --secrets-dir DIR with one folder per Secret " +
                "and one file per key (DIR/<secret>/ca.crt, tls.crt, tls.key; DIR/<secret>/username, password), as Kubernetes mounts them");
        }
        return SecretMaterial.Options(policy,
            Read(policy.Etcd.TlsSecretName, secretsDirectory, source),
            Read(policy.Etcd.CredentialsSecretName, secretsDirectory, source),
            message => new PolicyFileException($"{source}: {message} (files under {secretsDirectory})"));
    }

    private static Dictionary<string, byte[]>? Read(string? secret, string? directory, string source)
    {
        if (secret is null || directory is null)
        {
            return null;
        }
        var folder = Path.Combine(directory, secret);
        if (!Directory.Exists(folder))
        {
            throw new PolicyFileException($"{source}: Secret {secret} is not in --secrets-dir: {folder} does not exist");
        }
        try
        {
            // Kubernetes' projected volumes add ..data links and hidden folders: only plain key files count.
            return Directory.EnumerateFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.'))
                .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PolicyFileException($"{source}: cannot read Secret {secret} from {folder}: {e.Message}");
        }
    }
}
