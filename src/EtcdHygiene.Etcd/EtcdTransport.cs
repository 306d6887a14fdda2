using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using dotnet_etcd;

namespace EtcdHygiene.Etcd;

/// <summary>
/// Builds gRPC clients and HTTP handlers for single endpoints with the same TLS and credentials,
/// so per-member gRPC calls and the members' /metrics agree on how to connect.
/// </summary>
internal sealed class EtcdTransport
{
    private readonly EtcdConnectionOptions _options;
    private readonly X509Certificate2? _clientCertificate;
    private readonly X509Certificate2Collection? _trustedRoots;

    public EtcdTransport(EtcdConnectionOptions options)
    {
        _options = options;
        if (options.Tls is { } tls)
        {
            if (tls.ClientCertificatePem is not null)
            {
                if (tls.ClientKeyPem is null)
                {
                    throw new ArgumentException("a client certificate needs its private key (tls.key)");
                }
                _clientCertificate = X509Certificate2.CreateFromPem(tls.ClientCertificatePem, tls.ClientKeyPem);
            }
            if (tls.CaCertificatePem is not null)
            {
                _trustedRoots = [];
                _trustedRoots.ImportFromPem(tls.CaCertificatePem);
            }
        }
    }

    /// <summary>
    /// A client bound to exactly one URL: dotnet-etcd balances over every URL it is given.
    /// <paramref name="forStreams"/> adds HTTP/2 keepalive pings, for long-lived streams (watches):
    /// a member that hangs (SIGSTOP, a frozen VM) keeps its connection open and answers nothing, and
    /// a stream has no deadline, so without pings it would wait for that member forever. Unary calls
    /// keep their own deadlines instead: a defragmentation may rightly take minutes.
    /// </summary>
    public EtcdClient CreateClient(string url, bool forStreams = false)
    {
        // etcd only says it aborted the handshake; say why before trying.
        if (_clientCertificate is { } certificate && (certificate.NotAfter < DateTime.Now || certificate.NotBefore > DateTime.Now))
        {
            throw new EtcdOperationException(EtcdErrorKind.TlsFailed, "Connect", url,
                $"the client certificate (tls.crt, subject {certificate.Subject}) is valid only from {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm}Z " +
                $"to {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm}Z: renew it");
        }
        Action<Grpc.Net.Client.GrpcChannelOptions> configure = forStreams ? ConfigureStreamingChannel : ConfigureChannel;
        var client = _options.Tls is null
            ? new EtcdClient(url, configureChannelOptions: configure)
            : new EtcdClient(url, ConfigureSsl, configureChannelOptions: configure);
        if (_options.Credentials is { } credentials)
        {
            client.SetCredentials(credentials.Username, credentials.Password);
        }
        return client;
    }

    /// <summary>
    /// gRPC waits up to two minutes between attempts to reconnect to a member that went away; a
    /// member back after a restart would stay "unreachable" to every cycle meanwhile. Its 4 MiB
    /// receive limit would refuse what etcd legitimately sends (a value may be as large as etcd's
    /// --max-request-bytes allows): like etcdctl, no limit.
    /// </summary>
    private static void ConfigureChannel(Grpc.Net.Client.GrpcChannelOptions channel)
    {
        channel.InitialReconnectBackoff = TimeSpan.FromMilliseconds(200);
        channel.MaxReconnectBackoff = TimeSpan.FromSeconds(5);
        channel.MaxReceiveMessageSize = null;
    }

    /// <summary>
    /// <see cref="ConfigureChannel"/> plus HTTP/2 pings while a call is open: a stream on a hung
    /// member ends within KeepAlivePingDelay + KeepAlivePingTimeout. A member busy defragmenting
    /// still answers pings (its HTTP/2 transport does, whatever the backend does); etcd refuses pings
    /// more often than every 5 s (--grpc-keepalive-min-time).
    /// </summary>
    private static void ConfigureStreamingChannel(Grpc.Net.Client.GrpcChannelOptions channel)
    {
        ConfigureChannel(channel);
        var handler = channel.HttpHandler as SocketsHttpHandler ?? new SocketsHttpHandler();
        handler.KeepAlivePingDelay = KeepAlivePingDelay;
        handler.KeepAlivePingTimeout = KeepAlivePingDelay;
        handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests;
        channel.HttpHandler ??= handler;
    }

    /// <summary>How long an open call may go without a frame before a ping, and how long that ping may go unanswered.</summary>
    internal static readonly TimeSpan KeepAlivePingDelay = TimeSpan.FromSeconds(10);

    /// <summary>
    /// At most this many /metrics reads go to one member at a time; more wait their turn. The handler
    /// is shared by every policy of the process (<see cref="EtcdClientPool"/>), and HTTP/1.1 opens a
    /// connection per concurrent request: a thousand policies starting together would otherwise open
    /// hundreds of connections to each member, for a read that takes milliseconds.
    /// </summary>
    internal const int MetricsConnectionsPerMember = 4;

    /// <summary>A handler for plain HTTP calls to members (e.g. /metrics) with the same TLS.</summary>
    public HttpMessageHandler CreateHttpHandler()
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = MetricsConnectionsPerMember,
        };
        if (_options.Tls is not null)
        {
            var ssl = new SslClientAuthenticationOptions();
            ConfigureSsl(ssl);
            handler.SslOptions = ssl;
        }
        return handler;
    }

    private void ConfigureSsl(SslClientAuthenticationOptions ssl)
    {
        if (_clientCertificate is not null)
        {
            ssl.ClientCertificates = [_clientCertificate];
        }
        if (_trustedRoots is not null)
        {
            var roots = _trustedRoots;
            ssl.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null)
                {
                    return false;
                }
                // Name mismatches stay fatal; only the chain is judged against the configured CA.
                if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    return false;
                }
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            };
        }
    }
}
