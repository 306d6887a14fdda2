using System.Net;
using System.Text;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using k8s;
using k8s.Autorest;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// Reads the TLS and credentials Secrets a policy names, on every reconcile, so a rotated Secret is
/// picked up. Messages name the Secret and the missing key, never a value.
/// </summary>
public sealed class SecretReader(IKubernetes client)
{
    /// <summary>Connection options for <paramref name="policy"/>, or a <see cref="SecretUnavailableException"/>.</summary>
    public async Task<EtcdConnectionOptions> OptionsForAsync(HygienePolicy policy, CancellationToken cancellationToken)
    {
        var ns = policy.Key.Namespace;
        EtcdTlsOptions? tls = null;
        EtcdCredentials? credentials = null;
        if (policy.Etcd.TlsSecretName is { } tlsName)
        {
            var data = await ReadAsync(ns, tlsName, cancellationToken);
            tls = new EtcdTlsOptions
            {
                CaCertificatePem = Optional(data, "ca.crt"),
                ClientCertificatePem = Optional(data, "tls.crt"),
                ClientKeyPem = Optional(data, "tls.key"),
            };
            if (tls.ClientCertificatePem is not null && tls.ClientKeyPem is null)
            {
                throw new SecretUnavailableException($"Secret {ns}/{tlsName} has tls.crt but no tls.key");
            }
        }
        if (policy.Etcd.CredentialsSecretName is { } credentialsName)
        {
            var data = await ReadAsync(ns, credentialsName, cancellationToken);
            credentials = new EtcdCredentials(
                Optional(data, "username") ?? throw new SecretUnavailableException($"Secret {ns}/{credentialsName} has no key \"username\""),
                Optional(data, "password") ?? throw new SecretUnavailableException($"Secret {ns}/{credentialsName} has no key \"password\""));
        }
        return new EtcdConnectionOptions
        {
            Endpoints = policy.Etcd.Endpoints,
            RequestTimeout = policy.Etcd.RequestTimeout,
            DefragTimeout = policy.Etcd.DefragTimeout,
            Tls = tls,
            Credentials = credentials,
        };
    }

    private async Task<IDictionary<string, byte[]>> ReadAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            var secret = await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken);
            return secret.Data ?? new Dictionary<string, byte[]>();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new SecretUnavailableException($"Secret {ns}/{name} does not exist");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new SecretUnavailableException($"Secret {ns}/{name} cannot be read: the operator's service account lacks get on secrets");
        }
    }

    private static string? Optional(IDictionary<string, byte[]> data, string key) =>
        data.TryGetValue(key, out var value) && value.Length > 0 ? Encoding.UTF8.GetString(value) : null;
}

/// <summary>A Secret a policy needs is missing or incomplete.</summary>
public sealed class SecretUnavailableException(string message) : Exception(message);
