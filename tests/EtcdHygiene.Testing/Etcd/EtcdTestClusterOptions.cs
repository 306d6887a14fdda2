namespace EtcdHygiene.Testing.Etcd;

/// <summary>How to launch a throwaway etcd cluster on loopback.</summary>
public sealed record EtcdTestClusterOptions
{
    /// <summary>1 or 3 members, usually.</summary>
    public int Members { get; init; } = 1;

    /// <summary>--quota-backend-bytes; null keeps etcd's default (2 GiB).</summary>
    public long? QuotaBackendBytes { get; init; }

    /// <summary>How long to wait for every member to report healthy.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Replaces what a member advertises as its client URL (the listen URL stays), e.g. to mimic a
    /// systemd unit advertising http://127.0.0.1:2379. Called with the member index and its real URL.
    /// </summary>
    public Func<int, string, string>? AdvertisedClientUrl { get; init; }

    /// <summary>
    /// Serve clients over TLS with these certificates and require a client certificate signed by
    /// their CA (--client-cert-auth); null serves plain http.
    /// </summary>
    public TestCertificates? Tls { get; init; }

    /// <summary>More etcd flags for every member.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}
