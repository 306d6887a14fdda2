using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Net.Http;
using dotnet_etcd;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>
/// A real etcd cluster of throwaway processes on loopback ports, each member with its own temp data
/// dir. Disposing it kills every member and deletes every directory it made.
/// </summary>
public sealed class EtcdTestCluster : IAsyncDisposable
{
    /// <summary>Every cluster directory starts with this, so that a run can check nothing is left.</summary>
    public const string DirectoryPrefix = "etcd-hygiene-test-";

    private static readonly HttpClient PlainHttp = new() { Timeout = TimeSpan.FromSeconds(2) };
    private HttpClient _http = PlainHttp;
    private readonly List<EtcdClient> _clients = [];

    private EtcdTestCluster(string root, EtcdTestClusterOptions options, IReadOnlyList<EtcdTestMember> members)
    {
        RootDirectory = root;
        Options = options;
        Members = members;
    }

    /// <summary>The directory that holds every member's data dir and log.</summary>
    public string RootDirectory { get; }

    /// <summary>What the cluster was started with.</summary>
    public EtcdTestClusterOptions Options { get; }

    /// <summary>The members, m1 first.</summary>
    public IReadOnlyList<EtcdTestMember> Members { get; }

    /// <summary>Every member's client URL.</summary>
    public IReadOnlyList<string> ClientUrls => Members.Select(m => m.ClientUrl).ToList();

    /// <summary>
    /// Starts the members and waits until each reports healthy. Free ports are only free until
    /// etcd binds them, and an outgoing connection elsewhere can take one meanwhile: a start that
    /// fails with "address already in use" is retried on new ports.
    /// </summary>
    public static async Task<EtcdTestCluster> StartAsync(EtcdTestClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(options ?? new EtcdTestClusterOptions(), cancellationToken);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use"))
            {
                // Try again on other ports.
            }
        }
    }

    private static async Task<EtcdTestCluster> StartOnceAsync(EtcdTestClusterOptions options, CancellationToken cancellationToken)
    {
        if (options.Members < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "a cluster needs at least one member");
        }
        EtcdBinary.Locate(); // fail before making anything when etcd is missing
        var root = Path.Combine(Path.GetTempPath(), DirectoryPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var ports = FreePorts.Take(options.Members * 2);
        var names = Enumerable.Range(1, options.Members).Select(i => $"m{i}").ToList();
        var peerUrls = names.Select((_, i) => $"http://127.0.0.1:{ports[2 * i + 1]}").ToList();
        var initialCluster = string.Join(",", names.Select((n, i) => $"{n}={peerUrls[i]}"));
        var token = Path.GetFileName(root);

        var members = names.Select((name, i) =>
        {
            var clientUrl = $"{(options.Tls is null ? "http" : "https")}://127.0.0.1:{ports[2 * i]}";
            var advertised = options.AdvertisedClientUrl?.Invoke(i, clientUrl) ?? clientUrl;
            var directory = Path.Combine(root, name);
            var arguments = new List<string>
            {
                "--name", name,
                "--data-dir", Path.Combine(directory, "data"),
                "--listen-client-urls", clientUrl,
                "--advertise-client-urls", advertised,
                "--listen-peer-urls", peerUrls[i],
                "--initial-advertise-peer-urls", peerUrls[i],
                "--initial-cluster", initialCluster,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", token,
                "--logger", "zap",
                "--log-outputs", "stderr",
            };
            if (options.QuotaBackendBytes is { } quota)
            {
                arguments.Add($"--quota-backend-bytes={quota}");
            }
            if (options.Tls is { } tls)
            {
                arguments.AddRange(["--cert-file", tls.ServerCertificate, "--key-file", tls.ServerKey,
                    "--trusted-ca-file", tls.CaCertificate, "--client-cert-auth"]);
            }
            arguments.AddRange(options.ExtraArguments);
            return new EtcdTestMember(name, i, clientUrl, peerUrls[i], directory, arguments);
        }).ToList();

        var cluster = new EtcdTestCluster(root, options, members);
        try
        {
            if (options.Tls is { } certificates)
            {
                cluster._http = new HttpClient(new SocketsHttpHandler { SslOptions = ClientSsl(certificates) }) { Timeout = TimeSpan.FromSeconds(2) };
            }
            members.ForEach(m => m.Start());
            await cluster.WaitHealthyAsync(options.StartTimeout, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A dotnet-etcd client bound to one member (for workloads and cross-checks).</summary>
    public EtcdClient ClientFor(EtcdTestMember member)
    {
        var client = NewClient(member.ClientUrl);
        lock (_clients)
        {
            _clients.Add(client);
        }
        return client;
    }

    /// <summary>A dotnet-etcd client over every member, as an application would use.</summary>
    public EtcdClient CreateClient()
    {
        var client = NewClient(string.Join(",", ClientUrls));
        lock (_clients)
        {
            _clients.Add(client);
        }
        return client;
    }

    /// <summary>TLS for the fixture's own clients: the test CA's certificate and the client certificate.</summary>
    private static SslClientAuthenticationOptions ClientSsl(TestCertificates tls)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(tls.CaCertificate);
        var client = X509Certificate2.CreateFromPemFile(tls.ClientCertificate, tls.ClientKey);
        return new SslClientAuthenticationOptions
        {
            ClientCertificates = [client],
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(new X509Certificate2(certificate));
            },
        };
    }

    private EtcdClient NewClient(string urls)
    {
        if (Options.Tls is not { } tls)
        {
            return new EtcdClient(urls);
        }
        var ssl = ClientSsl(tls);
        return new EtcdClient(urls, options =>
        {
            options.ClientCertificates = ssl.ClientCertificates;
            options.RemoteCertificateValidationCallback = ssl.RemoteCertificateValidationCallback;
        });
    }

    /// <summary>
    /// Turns etcd authentication on with a root user (the role etcd-hygiene needs: defragment,
    /// alarms and leader moves are admin operations), through etcdctl.
    /// </summary>
    public async Task EnableAuthAsync(string rootPassword)
    {
        var tls = Options.Tls is { } t ? new[] { "--cacert", t.CaCertificate, "--cert", t.ClientCertificate, "--key", t.ClientKey } : [];
        await Etcdctl.RunAsync(ClientUrls, [.. tls, "user", "add", $"root:{rootPassword}"]);
        await Etcdctl.RunAsync(ClientUrls, [.. tls, "auth", "enable"]);
    }

    /// <summary>
    /// Adds, once authentication is on, a user who may read keys under <paramref name="prefix"/>
    /// only: any other read it makes is refused, however often it retries.
    /// </summary>
    public async Task AddReaderAsync(string rootPassword, string user, string password, string prefix)
    {
        var tls = Options.Tls is { } t ? new[] { "--cacert", t.CaCertificate, "--cert", t.ClientCertificate, "--key", t.ClientKey } : [];
        string[] root = [.. tls, "--user", $"root:{rootPassword}"];
        var role = user + "-role";
        await Etcdctl.RunAsync(ClientUrls, [.. root, "role", "add", role]);
        await Etcdctl.RunAsync(ClientUrls, [.. root, "role", "grant-permission", role, "read", prefix, "--prefix=true"]);
        await Etcdctl.RunAsync(ClientUrls, [.. root, "user", "add", $"{user}:{password}"]);
        await Etcdctl.RunAsync(ClientUrls, [.. root, "user", "grant-role", user, role]);
    }

    /// <summary>Restarts a stopped or killed member on its data dir and waits for it to be healthy.</summary>
    public async Task RestartAsync(EtcdTestMember member, CancellationToken cancellationToken = default)
    {
        await member.StopAsync();
        member.Start();
        await WaitHealthyAsync(Options.StartTimeout, cancellationToken, [member]);
    }

    /// <summary>
    /// Waits until each running member answers /health with true. On timeout the exception names
    /// the members that were not healthy, why, and the tail of their logs.
    /// </summary>
    public async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken = default, IReadOnlyList<EtcdTestMember>? only = null)
    {
        var waitFor = (only ?? Members).ToList();
        var deadline = DateTime.UtcNow + timeout;
        var lastProblem = waitFor.ToDictionary(m => m, _ => "not asked yet");
        while (true)
        {
            foreach (var member in waitFor.ToList())
            {
                if (member.ExitDescription is { } exit)
                {
                    throw new InvalidOperationException(
                        $"etcd member {member.Name} {exit} while starting. Log tail ({member.LogPath}):{Environment.NewLine}{member.LogTail()}");
                }
                var problem = await HealthProblemAsync(member, cancellationToken);
                if (problem is null)
                {
                    waitFor.Remove(member);
                }
                else
                {
                    lastProblem[member] = problem;
                }
            }
            if (waitFor.Count == 0)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                var details = waitFor.Select(m =>
                    $"{m.Name} ({m.ClientUrl}): {lastProblem[m]}{Environment.NewLine}  log tail ({m.LogPath}):{Environment.NewLine}{m.LogTail(20)}");
                throw new TimeoutException(
                    $"etcd not healthy within {timeout.TotalSeconds:0}s:{Environment.NewLine}{string.Join(Environment.NewLine, details)}");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Kills every member and deletes every directory the cluster made.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_clients)
        {
            _clients.ForEach(c => c.Dispose());
            _clients.Clear();
        }
        if (_http != PlainHttp)
        {
            _http.Dispose(); // the TLS cluster's own; the plain one is shared
        }
        foreach (var member in Members)
        {
            member.Kill();
            member.ReleaseLog();
        }
        for (var attempt = 0; Directory.Exists(RootDirectory); attempt++)
        {
            try
            {
                Directory.Delete(RootDirectory, recursive: true);
            }
            catch (IOException) when (attempt < 20)
            {
                await Task.Delay(50);
            }
        }
    }

    private async Task<string?> HealthProblemAsync(EtcdTestMember member, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync($"{member.ClientUrl}/health", cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return response.IsSuccessStatusCode && body.Contains("\"health\":\"true\"") ? null : $"/health said {(int)response.StatusCode} {body}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return e.Message;
        }
    }
}
