using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Operator.Tests.Commands;

/// <summary><c>etcd-hygiene analyze</c> as a person runs it for a one-off diagnosis.</summary>
public sealed class AnalyzeCommandTests
{
    [Fact]
    public async Task ReplayingTheRetainedHistory_RanksTheReorderingServiceFirst_AndExits2()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await new RegistryWorkload(cluster.CreateClient(), RegistryWorkloadOptions.ThreePatterns).RunRoundsAsync(80);

        var (exit, output, errors) = await CliProcess.RunAsync("analyze", "--endpoints", string.Join(",", cluster.ClientUrls), "--prefix", "/micro/registry/");

        Assert.True(exit == 2, $"exit {exit}{Environment.NewLine}{output}{errors}");
        var rows = output.Split('\n').Where(l => l.Contains("/micro/registry/svc0") && l.Contains("/*")).ToList();
        Assert.StartsWith("1  /micro/registry/svc00/*", rows[0]);
        Assert.Contains("CHURN: /micro/registry/svc00/* was rewritten 720 times in the analysed history; 99% of the writes only reorder JSON arrays or members", output);
        Assert.Contains("replayed writes could not be dated", output);
        Assert.DoesNotContain("CHURN: /micro/registry/svc02/*", output);
    }

    [Fact]
    public async Task FollowingLiveWrites_GivesRates_AndAQuietClusterExits0()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var workload = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions
        {
            Services = 2,
            NodesPerService = 2,
            Writers = 2,
            ServiceBehaviours = [WriterBehaviour.Changing],
            ReRegisterInterval = TimeSpan.FromMilliseconds(200),
        });
        using var stop = new CancellationTokenSource();
        var writing = workload.RunAsync(stop.Token);

        var (exit, output, errors) = await CliProcess.RunAsync("analyze", "--endpoints", cluster.ClientUrls[0], "--prefix", "/micro/registry/", "--watch", "3s");
        await stop.CancelAsync();
        await writing;

        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{errors}");
        Assert.Contains("Following live writes for 3s", output);
        Assert.Matches(@"over the last \d", output);
        Assert.Matches(@"1  /micro/registry/svc0\d/\*\s+\d+\s+\d+(\.\d)?\s+0%", output);
        Assert.Contains("No churn", output);
    }

    [Theory]
    [InlineData("--endpoints", "localhost:2379", "--prefix", "/a/")]
    [InlineData("--endpoints", "http://127.0.0.1:1", "--prefix", "")]
    [InlineData("--endpoints", "http://127.0.0.1:1", "--prefix", "/a/", "--watch", "soon")]
    [InlineData("--endpoints", "http://127.0.0.1:1", "--prefix", "/a/", "--from-revision", "0")]
    [InlineData("--endpoints", "https://127.0.0.1:1", "--prefix", "/a/", "--cert", "client.pem")]
    [InlineData("--endpoints", "https://127.0.0.1:1", "--prefix", "/a/", "--user", "root")]
    [InlineData("--endpoints", "https://127.0.0.1:1", "--prefix", "/a/", "--cacert", "/nonexistent/ca.pem")]
    public async Task BadArguments_ExitWith1AndSayWhy(params string[] arguments)
    {
        var (exit, output, errors) = await CliProcess.RunAsync(["analyze", .. arguments]);

        Assert.True(exit == 1, $"exit {exit}{Environment.NewLine}{output}{errors}");
        Assert.Matches("--endpoints|--prefix|--watch|--from-revision|--cert and --key|--user and --password-file|--cacert: cannot read", errors);
    }

    [Fact]
    public async Task OverMutualTlsAndAuth_ReadsTheHistory_AndAWrongPasswordIsNamedWithoutShowingIt()
    {
        const string password = "analyze-Secret-7c1f";
        using var tls = await TestCertificates.CreateAsync();
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1, Tls = tls });
        await cluster.EnableAuthAsync(password);
        var writer = cluster.CreateClient();
        writer.SetCredentials("root", password);
        await new RegistryWorkload(writer, RegistryWorkloadOptions.ThreePatterns).RunRoundsAsync(80);
        var passwordFile = Path.Combine(tls.Folder, "password");
        File.WriteAllText(passwordFile, password + "\n");
        string[] arguments = ["analyze", "--endpoints", cluster.ClientUrls[0], "--prefix", "/micro/registry/",
            "--cacert", tls.CaCertificate, "--cert", tls.ClientCertificate, "--key", tls.ClientKey, "--user", "root", "--password-file", passwordFile];

        var (exit, output, errors) = await CliProcess.RunAsync(arguments);

        Assert.True(exit == 2, $"exit {exit}{Environment.NewLine}{output}{errors}");
        Assert.Contains("CHURN: /micro/registry/svc00/*", output);

        File.WriteAllText(passwordFile, "not-" + password);
        var (refused, said, why) = await CliProcess.RunAsync(arguments);

        Assert.True(refused == 1, $"exit {refused}{Environment.NewLine}{said}{why}");
        Assert.Contains("authentication failed", why);
        Assert.DoesNotContain(password, said + why);
    }
}
