namespace EtcdHygiene.Etcd;

/// <summary>
/// Client TLS material as PEM text, the form a Kubernetes TLS Secret holds
/// (<c>ca.crt</c>, <c>tls.crt</c>, <c>tls.key</c>).
/// </summary>
public sealed record EtcdTlsOptions
{
    /// <summary>CA bundle that signed the etcd server certificates; null trusts the system roots.</summary>
    public string? CaCertificatePem { get; init; }

    /// <summary>Client certificate, when etcd requires client certificates.</summary>
    public string? ClientCertificatePem { get; init; }

    /// <summary>Private key of the client certificate.</summary>
    public string? ClientKeyPem { get; init; }

    /// <summary>Never prints key material.</summary>
    public override string ToString() =>
        $"EtcdTlsOptions {{ Ca = {(CaCertificatePem is null ? "system" : "set")}, ClientCertificate = {(ClientCertificatePem is null ? "none" : "set")} }}";
}
