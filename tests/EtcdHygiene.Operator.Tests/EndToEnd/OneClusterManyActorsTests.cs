using dotnet_etcd;
using Etcdserverpb;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// Safety rules 2 and 9 per etcd cluster, not per policy: two policies naming one cluster (spelled
/// differently), in one <c>run</c> or in two processes, at the default pause between members. etcd's
/// own logs must show each member defragmented once, never two at a time, and the whole pause
/// between any two; at NOSPACE, two processes that were running before it never both act.
/// Before the cluster lanes and lock, each of these showed every member defragmented twice, the
/// second request arriving while the first ran.
/// </summary>
[Trait("Etcd", "AnyVersion")]
public sealed class OneClusterManyActorsTests
{
    private static readonly TimeSpan DefaultPause = TimeSpan.FromSeconds(10);

    // Only the rule is tuned (the test's database is megabytes, not the rule's 100 MiB); the pause is the default.
    private const string SmallRule = "  defragmentation: { rule: { minFragmentationRatio: 0.1, minDbSizeBytes: 1Mi, minReclaimableBytes: 512Ki } }";

    [Fact]
    public async Task TwoPoliciesInOneRun_TakeTurns_EachMemberOnce_WithTheWholePause()
    {
        await using var cluster = await FragmentedClusterAsync();
        using var folder = new PolicyFolder();
        var platform = folder.WriteDefaults("platform", cluster.ClientUrls, SmallRule);
        var application = folder.WriteDefaults("application", [cluster.ClientUrls[1]], SmallRule);

        var (exit, _, errors) = await CliProcess.RunAsync("run", "--once", "--policy", platform, "--policy", application, "--state-dir", folder.StateDirectory);

        Assert.True(exit == 0, $"run --once exited {exit}: {errors}");
        Assert.Contains("their steps take turns", errors);
        AssertEachMemberOnceWithThePause(cluster, errors);
    }

    [Fact]
    public async Task TwoRunProcesses_OneMaintains_TheOtherWaitsNamingIt()
    {
        await using var cluster = await FragmentedClusterAsync();
        using var first = new PolicyFolder();
        using var second = new PolicyFolder();
        var platform = first.WriteDefaults("platform", cluster.ClientUrls, SmallRule);
        var application = second.WriteDefaults("application", [cluster.ClientUrls[2]], SmallRule);

        var runs = await Task.WhenAll(
            CliProcess.RunAsync("run", "--once", "--policy", platform, "--state-dir", first.StateDirectory),
            CliProcess.RunAsync("run", "--once", "--policy", application, "--state-dir", second.StateDirectory));

        var logs = string.Join(Environment.NewLine, runs.Select(r => r.Errors));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, $"run --once exited {r.ExitCode}: {r.Errors}"));
        Assert.Single(runs, r => r.Errors.Contains("is maintained by etcd-hygiene run on"));
        AssertEachMemberOnceWithThePause(cluster, logs);
    }

    [Fact]
    public async Task TheOperatorBesideARun_OneMaintains_EachMemberOnceWithThePause()
    {
        await using var cluster = await FragmentedClusterAsync();
        await using var kube = await OperatorFixture.StartAsync();
        var kubeconfig = kube.WriteKubeconfig();
        try
        {
            kube.ApplyPolicy("platform", cluster.ClientUrls, new System.Text.Json.Nodes.JsonObject
            {
                ["defragmentation"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["rule"] = new System.Text.Json.Nodes.JsonObject { ["minFragmentationRatio"] = 0.1, ["minDbSizeBytes"] = "1Mi", ["minReclaimableBytes"] = "512Ki" },
                },
            });
            using var folder = new PolicyFolder();
            var application = folder.WriteDefaults("application", [cluster.ClientUrls[1]], SmallRule);
            await using var operatorProcess = CliProcess.Start("operator", "--kubeconfig", kubeconfig, "--tenancy-config", kube.TenancyConfig(), "--metrics-bind-address", "0", "--health-probe-bind-address", "0");
            var (exit, _, errors) = await CliProcess.RunAsync("run", "--once", "--policy", application, "--state-dir", folder.StateDirectory);
            Assert.True(exit == 0, $"run --once exited {exit}: {errors}");

            // Whichever took the lock first, the operator (it keeps running) ends with every member done.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (new MaintenanceAudit(cluster).Defragmentations.Count(d => d.End is not null) < 3 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
            var logs = errors + Environment.NewLine + operatorProcess.Errors;
            Assert.Contains("is maintained by etcd-hygiene", logs);
            AssertEachMemberOnceWithThePause(cluster, logs);
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    [Fact]
    public async Task TwoPoliciesInOneRunAtTheDefaults_WhileARegistryFillsTheCluster_NeverOverlap()
    {
        const long MiB = 1024 * 1024;
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 24 * MiB });
        using var folder = new PolicyFolder();
        await using var run = CliProcess.Start("run", "--policy", folder.WriteDefaults("one", cluster.ClientUrls), "--policy", folder.WriteDefaults("two", [cluster.ClientUrls[2]]),
            "--state-dir", folder.StateDirectory);
        await run.WaitForTextAsync("their steps take turns", TimeSpan.FromSeconds(60));

        await FillThreeTimesAndRecoverAsync(cluster, () => run.Errors);

        var audit = new MaintenanceAudit(cluster);
        Assert.True(audit.Defragmentations.Count >= 3, $"every member should have been defragmented; etcd logged {audit.Defragmentations.Count}:{Environment.NewLine}{run.Errors}");
        Assert.Empty(audit.Overlaps());
    }

    [Fact]
    public async Task TwoRunProcessesAtTheDefaults_WhileARegistryFillsTheCluster_OnlyOneActs()
    {
        const long MiB = 1024 * 1024;
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 24 * MiB });
        using var first = new PolicyFolder();
        using var second = new PolicyFolder();
        await using var one = CliProcess.Start("run", "--policy", first.WriteDefaults("one", cluster.ClientUrls), "--state-dir", first.StateDirectory);
        await using var two = CliProcess.Start("run", "--policy", second.WriteDefaults("two", [cluster.ClientUrls[0]]), "--state-dir", second.StateDirectory);
        await one.WaitForTextAsync("cycle succeeded", TimeSpan.FromSeconds(60));
        await two.WaitForTextAsync("cycle succeeded", TimeSpan.FromSeconds(60));

        await FillThreeTimesAndRecoverAsync(cluster, () => one.Errors + Environment.NewLine + two.Errors);

        AssertOnlyOneActed(cluster, one.Errors, two.Errors);
    }

    [Fact]
    public async Task TheOperatorBesideARunAtTheDefaults_WhileARegistryFillsTheCluster_OnlyOneActs()
    {
        const long MiB = 1024 * 1024;
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 24 * MiB });
        await using var kube = await OperatorFixture.StartAsync();
        var kubeconfig = kube.WriteKubeconfig();
        try
        {
            kube.ApplyPolicy("platform", cluster.ClientUrls);
            using var folder = new PolicyFolder();
            await using var operatorProcess = CliProcess.Start("operator", "--kubeconfig", kubeconfig, "--tenancy-config", kube.TenancyConfig(), "--metrics-bind-address", "0", "--health-probe-bind-address", "0");
            await using var run = CliProcess.Start("run", "--policy", folder.WriteDefaults("application", [cluster.ClientUrls[1]]), "--state-dir", folder.StateDirectory);
            await run.WaitForTextAsync("cycle succeeded", TimeSpan.FromSeconds(60));
            await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("platform", "Ready", "True"), what: "the operator's first cycle", describe: () => operatorProcess.Errors);

            await FillThreeTimesAndRecoverAsync(cluster, () => operatorProcess.Errors + Environment.NewLine + run.Errors);

            AssertOnlyOneActed(cluster, operatorProcess.Errors, run.Errors);
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    /// <summary>
    /// From etcd's logs, every member defragmented and never two at a time; from the two processes'
    /// logs, only one of them ever defragmented, and neither acted without the cluster's lock.
    /// </summary>
    private static void AssertOnlyOneActed(EtcdTestCluster cluster, string first, string second)
    {
        var logs = first + Environment.NewLine + second;
        var audit = new MaintenanceAudit(cluster);
        Assert.True(audit.Defragmentations.Count >= 3, $"every member should have been defragmented; etcd logged {audit.Defragmentations.Count}:{Environment.NewLine}{logs}");
        Assert.Empty(audit.Overlaps());
        Assert.Single(new[] { first, second }, e => e.Contains("Defragment", StringComparison.Ordinal) && e.Contains("done in", StringComparison.Ordinal));
        Assert.DoesNotContain("without it", logs);
    }

    /// <summary>
    /// The incident: reordered re-registrations, enough to fill the quota three times over, while
    /// the tool prevents NOSPACE or recovers from it; then until etcd accepts writes again.
    /// </summary>
    private static async Task FillThreeTimesAndRecoverAsync(EtcdTestCluster cluster, Func<string> logs)
    {
        const long MiB = 1024 * 1024;

        var registry = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions { Services = 4, NodesPerService = 2, Writers = 2 });
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (registry.Stats.Written < 3 * 24 * MiB / 1500 && DateTime.UtcNow < until)
        {
            await registry.RunRoundsAsync(10);
        }
        var client = cluster.CreateClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!await WritableAsync(client))
        {
            Assert.True(DateTime.UtcNow < deadline, $"etcd did not accept writes again within 90 s:{Environment.NewLine}{logs()}");
            await Task.Delay(500);
        }
    }

    /// <summary>
    /// A 3-member cluster with 9 MiB of live data and about as much history, compacted already, so
    /// that a policy's first cycle goes straight to defragmentation (its retention keeps an hour).
    /// </summary>
    private static async Task<EtcdTestCluster> FragmentedClusterAsync()
    {
        var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAndCompactAsync(cluster.CreateClient(), 8);
        return cluster;
    }

    private static void AssertEachMemberOnceWithThePause(EtcdTestCluster cluster, string logs)
    {
        var audit = new MaintenanceAudit(cluster);
        var seen = string.Join(Environment.NewLine, audit.Defragmentations);
        Assert.True(audit.Defragmentations.Count == 3, $"each member should be defragmented once, etcd logged:{Environment.NewLine}{seen}{Environment.NewLine}{logs}");
        Assert.Equal(3, audit.Defragmentations.Select(d => d.Member).Distinct().Count());
        Assert.Empty(audit.Overlaps());
        Assert.Empty(audit.ShortPauses(DefaultPause, _ => false));
    }

    private static async Task<bool> WritableAsync(EtcdClient client)
    {
        try
        {
            await client.PutAsync(new PutRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("/probe"), Value = Google.Protobuf.ByteString.CopyFromUtf8("x") });
            return true;
        }
        catch (Grpc.Core.RpcException)
        {
            return false;
        }
    }
}
