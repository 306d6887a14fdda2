using Etcdserverpb;
using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Etcd.Analysis;
using EtcdHygiene.Testing.Etcd;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Etcd.Tests;

/// <summary>
/// etcd as production runs it: TLS with a private CA, client certificates required, users and
/// passwords. The adapter must observe, act and watch through all of it, and say plainly what is
/// wrong when the CA, the certificate or the password is.
/// </summary>
public sealed class SecuredEtcdTests
{
    private const string Password = "s3cret-Pa55word";

    [Fact]
    public async Task OverMutualTlsAndAuth_TheAdapterObservesCompactsDefragmentsAndWatches()
    {
        using var tls = await TestCertificates.CreateAsync();
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, Tls = tls, QuotaBackendBytes = 64L << 20 });
        await cluster.EnableAuthAsync(Password);
        var writer = cluster.CreateClient();
        writer.SetCredentials("root", Password);

        await using var etcd = new EtcdClusterConnection(Options(cluster, tls, tls.CaCertificate, tls.ClientCertificate, Password));
        var snapshot = await etcd.ObserveAsync();

        Assert.All(snapshot.Members, m => Assert.True(m.Reachable && m.Health.IsHealthy, $"{m.Name}: {m.EndpointNote} {m.Health.Reason}"));
        Assert.All(snapshot.Members, m => Assert.Equal((64L << 20, QuotaSource.Metrics), (m.QuotaBytes!.Value, m.QuotaSource)));
        Assert.True(snapshot.AlarmsKnown);

        await using var watcher = new ChurnWatcher(etcd.Options, ["/micro/registry/"], new ChurnAnalyzerOptions(), TimeProvider.System, NullLogger.Instance);
        watcher.Start(fromRevision: null, new RevisionClock([]));
        for (var i = 0; i < 50; i++)
        {
            await writer.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/micro/registry/greeter/n1"), Value = ByteString.CopyFromUtf8(i % 2 == 0 ? "[1,2]" : "[2,1]") });
        }
        Assert.True(await watcher.CatchUpAsync(TimeSpan.FromSeconds(30), default), watcher.Problem);
        Assert.Equal(49, watcher.Report().Groups.Single().ByKind[WriteKind.ReorderOnlyRewrite]);

        var revision = (await etcd.ObserveAsync()).Revision!.Value;
        await etcd.CompactAsync(revision, physical: true);
        var follower = snapshot.Members.First(m => !m.IsLeader);
        await etcd.DefragmentAsync(follower.Id);
        Assert.Equal(revision, (await etcd.ObserveAsync()).CompactRevision);
    }

    [Fact]
    public async Task AServerCertificateFromAnotherCa_IsRefused_AndSaidSo()
    {
        using var tls = await TestCertificates.CreateAsync();
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1, Tls = tls });

        await using var etcd = new EtcdClusterConnection(Options(cluster, tls, tls.OtherCaCertificate, tls.ClientCertificate, password: null));
        var snapshot = await etcd.ObserveAsync();

        Assert.DoesNotContain(snapshot.Members, m => m.Reachable);
        Assert.True(Problems(snapshot).Contains("(TlsFailed): TLS handshake failed: The remote certificate was rejected", StringComparison.Ordinal), Problems(snapshot));
    }

    [Fact]
    public async Task AnExpiredClientCertificate_IsRefused_AndSaidSo()
    {
        using var tls = await TestCertificates.CreateAsync();
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1, Tls = tls });

        await using var etcd = new EtcdClusterConnection(Options(cluster, tls, tls.CaCertificate, tls.ExpiredClientCertificate, password: null));
        var snapshot = await etcd.ObserveAsync();

        Assert.DoesNotContain(snapshot.Members, m => m.Reachable);
        Assert.True(Problems(snapshot).Contains("(TlsFailed): the client certificate (tls.crt, subject CN=etcd-hygiene-client) is valid only from 2020-01-01 00:00Z to 2020-01-02 00:00Z: renew it", StringComparison.Ordinal), Problems(snapshot));
    }

    [Fact]
    public async Task AWrongPassword_IsAnAuthenticationFailure_ThatNeverShowsThePassword()
    {
        using var tls = await TestCertificates.CreateAsync();
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1, Tls = tls });
        await cluster.EnableAuthAsync(Password);

        await using var etcd = new EtcdClusterConnection(Options(cluster, tls, tls.CaCertificate, tls.ClientCertificate, "not-the-" + Password));
        var snapshot = await etcd.ObserveAsync();
        var problems = Problems(snapshot);

        Assert.DoesNotContain(snapshot.Members, m => m.Reachable);
        Assert.True(problems.Contains("authentication failed", StringComparison.OrdinalIgnoreCase), problems);
        Assert.DoesNotContain(Password, problems);
    }

    [Fact]
    public async Task NoCredentials_WhereEtcdRequiresThem_IsAnAuthenticationFailure_NamingTheFieldToSet()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await cluster.EnableAuthAsync(Password);

        await using var etcd = new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls, RequestTimeout = TimeSpan.FromSeconds(5) });
        var snapshot = await etcd.ObserveAsync();
        var problems = Problems(snapshot);

        // etcd 3.5 refuses Status, so the member is unreachable; 3.4 answers it and refuses the health read.
        Assert.True(problems.Contains("AuthenticationFailed", StringComparison.Ordinal), problems);
        Assert.True(problems.Contains("etcdserver: user name is empty (etcd has authentication enabled: name a Secret with username and password in spec.etcd.credentialsSecretRef)",
            StringComparison.Ordinal), problems);
    }

    private static string Problems(ClusterSnapshot snapshot) =>
        string.Join("; ", snapshot.Problems.Concat(snapshot.Members.Select(m => $"{m.EndpointNote} {m.Health.Reason}")));

    private static EtcdConnectionOptions Options(EtcdTestCluster cluster, TestCertificates tls, string ca, string clientCertificate, string? password) => new()
    {
        Endpoints = cluster.ClientUrls,
        RequestTimeout = TimeSpan.FromSeconds(5),
        Tls = new EtcdTlsOptions
        {
            CaCertificatePem = File.ReadAllText(ca),
            ClientCertificatePem = File.ReadAllText(clientCertificate),
            ClientKeyPem = File.ReadAllText(tls.ClientKey),
        },
        Credentials = password is null ? null : new EtcdCredentials("root", password),
    };
}
