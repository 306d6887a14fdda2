using dotnet_etcd;

namespace EtcdHygiene.Etcd;

/// <summary>
/// Member clients shared by every connection of the process that reaches the same member the same
/// way (same URL, TLS material and credentials). One process may look after a thousand policies
/// over a handful of clusters; with a client each, 1,000 policies over one member held 2,000 TCP
/// connections with their buffers, in the process and in etcd (210 MiB RSS over 4 clusters, 107 MiB
/// shared). A client is made when first rented and disposed when its last renter lets go, so a
/// rotated password or a changed endpoint does not keep the old connection open.
/// </summary>
public sealed class EtcdClientPool
{
    private readonly Lock _gate = new();
    private readonly Dictionary<object, Entry> _entries = [];

    /// <summary>How many clients (gRPC and HTTP) are open now, for tests.</summary>
    public int OpenClients
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// A gRPC client bound to <paramref name="url"/>; <paramref name="forStreams"/> adds the
    /// keepalive pings that long-lived streams need (see <see cref="EtcdTransport.CreateClient"/>).
    /// </summary>
    public Rented<EtcdClient> Client(string url, EtcdConnectionOptions options, bool forStreams = false) =>
        Rent(new ClientKey(url.ToLowerInvariant(), options.Tls, options.Credentials, forStreams),
            () => new EtcdTransport(options).CreateClient(url, forStreams));

    /// <summary>An HTTP client for the members' /metrics, shared by every connection with the same TLS (it pools per member).</summary>
    public Rented<HttpClient> Http(EtcdConnectionOptions options) =>
        Rent(new HttpKey(options.Tls), () => new HttpClient(new EtcdTransport(options).CreateHttpHandler()) { Timeout = Timeout.InfiniteTimeSpan });

    private Rented<T> Rent<T>(object key, Func<T> create) where T : IDisposable
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry(create());
                _entries.Add(key, entry);
            }
            entry.Renters++;
            return new Rented<T>((T)entry.Client, () => Return(key));
        }
    }

    private void Return(object key)
    {
        IDisposable? unused = null;
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry) && --entry.Renters == 0)
            {
                _entries.Remove(key);
                unused = entry.Client;
            }
        }
        unused?.Dispose();
    }

    private sealed class Entry(IDisposable client)
    {
        public IDisposable Client { get; } = client;
        public int Renters { get; set; }
    }

    // Records compare the TLS material and credentials by value; they stay in memory only, as in the options.
    private sealed record ClientKey(string Url, EtcdTlsOptions? Tls, EtcdCredentials? Credentials, bool ForStreams);

    private sealed record HttpKey(EtcdTlsOptions? Tls);
}
