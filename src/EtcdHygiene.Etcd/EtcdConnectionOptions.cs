namespace EtcdHygiene.Etcd;

/// <summary>How to reach one etcd cluster.</summary>
public sealed record EtcdConnectionOptions
{
    /// <summary>
    /// Configured client URLs. Members are found through MemberList; these are where to ask, and the
    /// fallback for members whose advertised URLs cannot be reached from here.
    /// </summary>
    public required IReadOnlyList<string> Endpoints { get; init; }

    /// <summary>Timeout of every ordinary RPC (Status, MemberList, alarms, health reads).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Timeout of the long maintenance RPCs: Defragment and physical Compact. Both take time that
    /// grows with the database and block until done, so they get their own, longer budget.
    /// </summary>
    public TimeSpan DefragTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Client TLS, or null for plain http endpoints.</summary>
    public EtcdTlsOptions? Tls { get; init; }

    /// <summary>etcd user credentials, or null when auth is off.</summary>
    public EtcdCredentials? Credentials { get; init; }

    /// <summary>
    /// True when <paramref name="other"/> connects the same way (records compare lists by
    /// reference, which would make every reconcile look like a change).
    /// </summary>
    public bool ConnectsLike(EtcdConnectionOptions other) =>
        Endpoints.SequenceEqual(other.Endpoints) && RequestTimeout == other.RequestTimeout && DefragTimeout == other.DefragTimeout
        && Equals(Tls, other.Tls) && Equals(Credentials, other.Credentials);
}
