using System.Text.Json;
using System.Text.Json.Nodes;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

using Json.Schema;

namespace EtcdHygiene.Operator.Tests.Commands;

/// <summary><c>etcd-hygiene analyze</c> as a person runs it for a one-off diagnosis.</summary>
public sealed class AnalyzeCommandTests
{
    /// <summary>
    /// The busiest service really changes its entries (svc00, 4 registrations a round); the one
    /// that wastes most only swaps two subscribers (svc01, 3); the third repeats itself (svc02, 2).
    /// </summary>
    private static readonly RegistryWorkloadOptions BusyChangingQuieterWasting = RegistryWorkloadOptions.ThreePatterns with
    {
        ServiceBehaviours = [WriterBehaviour.Changing, WriterBehaviour.ReorderOnly, WriterBehaviour.Identical],
        ServiceWeights = [4, 3, 2],
    };

    [Fact]
    public async Task ReplayingTheRetainedHistory_RanksByWaste_NamesTheFlippingPathAndTheUnstableSort_AndExits2()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await new RegistryWorkload(cluster.CreateClient(), BusyChangingQuieterWasting).RunRoundsAsync(110);

        var (exit, output, errors) = await CliProcess.RunAsync("analyze", "--endpoints", string.Join(",", cluster.ClientUrls), "--prefix", "/micro/registry/");

        Assert.True(exit == 2, $"exit {exit}{Environment.NewLine}{output}{errors}");
        var rows = output.Split('\n').Where(l => l.Contains("/micro/registry/svc0") && l.Contains("/*")).ToList();
        Assert.StartsWith("1  /micro/registry/svc01/*", rows[0]);
        Assert.StartsWith("2  /micro/registry/svc02/*", rows[1]);
        Assert.StartsWith("3  /micro/registry/svc00/*", rows[2]);
        Assert.Contains("CHURN: /micro/registry/svc01/* was rewritten 990 times in the analysed history; 99% of the writes only reorder $.endpoints " +
            "(the elements that swap places agree on metadata.subscriber, metadata.topic, request.name and differ on name): " +
            "the writer sorts them by a key with ties (an unstable sort); sorting by a unique field such as name ends the churn", output);
        Assert.Matches(@"\$\.endpoints reordered in \d+ of \d+ sampled reorder-only writes", output);
        Assert.Contains("before: [2] name=\"Svc01.HandleAuditRecord\", [3] name=\"Svc01.HandleBillingCharge\"", output);
        Assert.Contains("CHURN: /micro/registry/svc02/* was rewritten 660 times in the analysed history; 99% of the writes repeat the same bytes", output);
        Assert.Contains("replayed writes could not be dated", output);
        Assert.DoesNotContain("CHURN: /micro/registry/svc00/*", output);
    }

    [Fact]
    public async Task OutputJson_FollowsItsSchema_WithTheSameFindings()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await new RegistryWorkload(cluster.CreateClient(), BusyChangingQuieterWasting).RunRoundsAsync(110);

        var (exit, output, errors) = await CliProcess.RunAsync("analyze", "--endpoints", cluster.ClientUrls[0], "--prefix", "/micro/registry/", "--output", "json");

        Assert.True(exit == 2, $"exit {exit}{Environment.NewLine}{output}{errors}");
        var schema = JsonSchema.FromFile(Path.Combine(RepositoryRoot.Find(), "docs", "analyze-output.schema.json"));
        using var document = JsonDocument.Parse(output);
        var evaluation = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(evaluation.IsValid, string.Join(Environment.NewLine,
            (evaluation.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
        var report = JsonNode.Parse(output)!;
        Assert.Equal(1, report["schemaVersion"]!.GetValue<int>());
        Assert.Equal(2, report["churningGroups"]!.GetValue<int>());
        var groups = report["groups"]!.AsArray();
        Assert.Equal(["/micro/registry/svc01/*", "/micro/registry/svc02/*", "/micro/registry/svc00/*"], groups.Select(g => g!["keyGroup"]!.GetValue<string>()));
        var reordering = groups[0]!;
        Assert.StartsWith("/micro/registry/svc01/* was rewritten 990 times", reordering["diagnosis"]!.GetValue<string>());
        var flipping = reordering["flippingPaths"]![0]!;
        Assert.Equal(("$.endpoints", "Reordered", "name"), (flipping["path"]!.GetValue<string>(), flipping["kind"]!.GetValue<string>(), flipping["differOn"]!.GetValue<string>()));
        Assert.Contains("metadata.topic", flipping["agreeOn"]!.AsArray().Select(f => f!.GetValue<string>()));
        // 657 of 660 writes repeat the same bytes: 0.995, written with two decimals.
        Assert.Equal("1.00", groups[1]!["identicalRatio"]!.GetValue<string>());
        Assert.Equal("$.nodes[0].metadata.load", groups[2]!["flippingPaths"]![0]!["path"]!.GetValue<string>());
        Assert.Null(groups[2]!["diagnosis"]);
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

    [Fact]
    public async Task AWatchFailureRetryingCannotCure_EndsAnalyzeWithExit1_AtOnce_SayingWhy()
    {
        const string password = "root-Secret-51d0";
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await new RegistryWorkload(cluster.CreateClient(), RegistryWorkloadOptions.ThreePatterns).RunRoundsAsync(5);
        // A user who may read /other/ only: reading /micro/registry/ is refused however often it is asked.
        await cluster.EnableAuthAsync(password);
        await cluster.AddReaderAsync(password, "reader", "reader-pw", "/other/");
        var passwordFile = Path.GetTempFileName();
        File.WriteAllText(passwordFile, "reader-pw");

        // Retrying until the five-minute catch-up gives up would outlast RunAsync's two-minute limit.
        var (exit, output, errors) = await CliProcess.RunAsync("analyze", "--endpoints", cluster.ClientUrls[0], "--prefix", "/micro/registry/",
            "--user", "reader", "--password-file", passwordFile);
        File.Delete(passwordFile);

        Assert.True(exit == 1, $"exit {exit}{Environment.NewLine}{output}{errors}");
        Assert.Contains("retrying cannot cure it", errors);
        Assert.Contains("permission denied", errors);
    }
}
