using System.Text;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>
/// How the keys of the TLS Secret (<c>ca.crt</c>, <c>tls.crt</c>, <c>tls.key</c>) and of the
/// credentials Secret (<c>username</c>, <c>password</c>) become connection options — whether the
/// operator read them from the API or <c>run</c> from files laid out as Kubernetes mounts a Secret.
/// Problems name the Secret and the key, never a value.
/// </summary>
public static class SecretMaterial
{
    /// <summary>The options of <paramref name="policy"/> with its Secrets' data (null when it names none).</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="tls">The TLS Secret's data.</param>
    /// <param name="credentials">The credentials Secret's data.</param>
    /// <param name="problem">Makes the exception for a missing or incomplete Secret from a message.</param>
    public static EtcdConnectionOptions Options(HygienePolicy policy, IDictionary<string, byte[]>? tls, IDictionary<string, byte[]>? credentials,
        Func<string, Exception> problem)
    {
        EtcdTlsOptions? tlsOptions = null;
        if (tls is not null)
        {
            tlsOptions = new EtcdTlsOptions
            {
                CaCertificatePem = Optional(tls, "ca.crt"),
                ClientCertificatePem = Optional(tls, "tls.crt"),
                ClientKeyPem = Optional(tls, "tls.key"),
            };
            if (tlsOptions.ClientCertificatePem is not null && tlsOptions.ClientKeyPem is null)
            {
                throw problem($"{Describe(policy, policy.Etcd.TlsSecretName)} has tls.crt but no tls.key");
            }
        }
        EtcdCredentials? login = null;
        if (credentials is not null)
        {
            var name = Describe(policy, policy.Etcd.CredentialsSecretName);
            login = new EtcdCredentials(
                Optional(credentials, "username") ?? throw problem($"{name} has no key \"username\""),
                Optional(credentials, "password") ?? throw problem($"{name} has no key \"password\""));
        }
        return new EtcdConnectionOptions
        {
            Endpoints = policy.Etcd.Endpoints,
            RequestTimeout = policy.Etcd.RequestTimeout,
            DefragTimeout = policy.Etcd.DefragTimeout,
            Tls = tlsOptions,
            Credentials = login,
        };
    }

    private static string Describe(HygienePolicy policy, string? secret) => $"Secret {policy.Key.Namespace}/{secret}";

    private static string? Optional(IDictionary<string, byte[]> data, string key) =>
        data.TryGetValue(key, out var value) && value.Length > 0 ? Encoding.UTF8.GetString(value) : null;
}
