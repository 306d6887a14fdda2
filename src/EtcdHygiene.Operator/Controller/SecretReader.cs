using System.Net;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Kubernetes.Resources;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Supervision;
using k8s;
using k8s.Autorest;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// Reads the TLS and credentials Secrets a policy names, on every reconcile, so a rotated Secret is
/// picked up. Messages name the Secret and the missing key, never a value.
/// </summary>
public sealed class SecretReader(KubernetesApi client)
{
    /// <summary>Connection options for <paramref name="policy"/>, or a <see cref="SecretUnavailableException"/>.</summary>
    public async Task<EtcdConnectionOptions> OptionsForAsync(HygienePolicy policy, CancellationToken cancellationToken)
    {
        var ns = policy.Key.Namespace;
        var tls = policy.Etcd.TlsSecretName is { } tlsName ? await ReadAsync(ns, tlsName, cancellationToken) : null;
        var credentials = policy.Etcd.CredentialsSecretName is { } credentialsName ? await ReadAsync(ns, credentialsName, cancellationToken) : null;
        return SecretMaterial.Options(policy, tls, credentials, message => new SecretUnavailableException(message));
    }

    private async Task<IDictionary<string, byte[]>> ReadAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            var secret = await client.SendAsync(HttpMethod.Get, $"api/v1/namespaces/{Uri.EscapeDataString(ns)}/secrets/{Uri.EscapeDataString(name)}",
                ResourceJson.Default.V1Secret, cancellationToken: cancellationToken);
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
}
