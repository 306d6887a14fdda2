using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;

namespace EtcdHygiene.Operator.Standalone;

/// <summary>Connection options for a policy run outside Kubernetes.</summary>
public static class StandaloneConnection
{
    /// <summary>The etcd options of <paramref name="policy"/>, or an error when it needs Kubernetes.</summary>
    public static EtcdConnectionOptions OptionsFor(HygienePolicy policy, string source)
    {
        var refs = new[]
        {
            policy.Etcd.TlsSecretName is null ? null : "spec.etcd.tlsSecretRef",
            policy.Etcd.CredentialsSecretName is null ? null : "spec.etcd.credentialsSecretRef",
        }.OfType<string>().ToList();
        if (refs.Count > 0)
        {
            throw new PolicyFileException(
                $"{source}: {string.Join(" and ", refs)} name Kubernetes Secrets, which the standalone run and check commands cannot read; " +
                "run the policy with the operator, or against endpoints that need neither");
        }
        return new EtcdConnectionOptions
        {
            Endpoints = policy.Etcd.Endpoints,
            RequestTimeout = policy.Etcd.RequestTimeout,
            DefragTimeout = policy.Etcd.DefragTimeout,
        };
    }
}
