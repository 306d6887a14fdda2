using System.Text.RegularExpressions;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Standalone;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Operator.Tests.Commands;

/// <summary><c>etcd-hygiene run</c> as cron jobs and systemd run it.</summary>
public sealed class RunCommandTests
{
    [Fact]
    public async Task Once_RecoversNoSpace_Exits0_AndKeepsItsState()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 16L << 20 });
        var client = cluster.CreateClient();
        await new RegistryWorkload(client, new RegistryWorkloadOptions { Services = 10, NodesPerService = 5, Writers = 8 }).FillUntilNoSpaceAsync();
        using var folder = new PolicyFolder();
        var policy = folder.Write("registry", cluster.ClientUrls, "  defragmentation: { pauseBetweenMembers: 0s }");

        var (exit, output, errors) = await CliProcess.RunAsync("run", "--once", "--policy", policy, "--state-dir", folder.StateDirectory);

        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{errors}");
        Assert.Contains("Compact to revision", errors);
        Assert.Contains("Disarm NOSPACE", errors);
        Assert.Contains("cycle succeeded", errors);
        await using var etcd = new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls });
        Assert.Empty((await etcd.ObserveAsync()).Alarms);
        await client.PutAsync("/micro/registry/after/node", "writable again");
        var state = new StateFiles(folder.StateDirectory).Load(new PolicyKey("default", "registry"));
        Assert.NotNull(state.LastCompactionTime);
        Assert.Equal(3, state.LastDefragTimes.Count);
        Assert.NotEmpty(state.Samples);
    }

    [Fact]
    public async Task AfterARestart_KeptSamplesCompactOnTime_AndNeverPastTheWindow()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var client = cluster.CreateClient();
        using var folder = new PolicyFolder();
        const string compaction = "  compaction: { mode: Periodic, retention: 4s, interval: 1s }";
        var policy = folder.Write("restart", cluster.ClientUrls, compaction);
        await using var etcd = new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls });
        for (var i = 0; i < 20; i++)
        {
            await client.PutAsync("/micro/registry/greeter/node", $"before {i}");
        }

        // First life: one cycle records what the revision is now, then the process ends.
        var first = await CliProcess.RunAsync("run", "--once", "--policy", policy, "--state-dir", folder.StateDirectory);
        Assert.True(first.ExitCode == 0, first.Errors);
        var sampled = Assert.Single(new StateFiles(folder.StateDirectory).Load(new PolicyKey("default", "restart")).Samples);
        for (var i = 0; i < 20; i++)
        {
            await client.PutAsync("/micro/registry/greeter/node", $"after {i}");
        }
        await Task.Delay(TimeSpan.FromSeconds(4.5)); // the sample is now older than the retention

        // Second life, with the kept state: compacts at once, exactly to the sampled revision.
        var second = await CliProcess.RunAsync("run", "--once", "--policy", policy, "--state-dir", folder.StateDirectory);
        Assert.True(second.ExitCode == 0, second.Errors);
        Assert.Equal(sampled.Revision, (await etcd.ObserveAsync()).CompactRevision);

        // Without the kept state the same moment would compact nothing: a whole retention postponed.
        var amnesiac = policy.Replace("restart", "amnesiac");
        File.WriteAllText(amnesiac, File.ReadAllText(policy).Replace("name: restart", "name: amnesiac"));
        var third = await CliProcess.RunAsync("run", "--once", "--policy", amnesiac, "--state-dir", folder.StateDirectory);
        Assert.True(third.ExitCode == 0, third.Errors);
        Assert.Equal(sampled.Revision, (await etcd.ObserveAsync()).CompactRevision);
        Assert.DoesNotContain("Compact to revision", third.Errors);
    }

    [Fact]
    public async Task DryRun_ChangesNothing()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 16L << 20 });
        await new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions { Services = 10, NodesPerService = 5, Writers = 8 }).FillUntilNoSpaceAsync();
        using var folder = new PolicyFolder();
        var policy = folder.Write("dry", cluster.ClientUrls, "  dryRun: true");
        await using var etcd = new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls });
        var before = await SnapshotComparison.SettledAsync(etcd);

        var (exit, _, errors) = await CliProcess.RunAsync("run", "--once", "--policy", policy, "--state-dir", folder.StateDirectory);

        Assert.True(exit == 0, errors);
        Assert.Contains("dry run, would Compact to revision", errors);
        Assert.Empty(SnapshotComparison.Differences(before, await etcd.ObserveAsync()));
    }

    [Fact]
    public async Task ManyPoliciesOverOneCluster_ShareItsConnections()
    {
        const int policies = 12;
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        using var folder = new PolicyFolder();
        var files = Enumerable.Range(0, policies).Select(i => folder.WriteDefaults($"p{i:00}", cluster.ClientUrls)).ToList();
        await using var run = CliProcess.Start(["run", "--state-dir", folder.StateDirectory, .. files.SelectMany(f => new[] { "--policy", f })]);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Regex.Count(run.Errors + run.Output, ": cycle succeeded") < policies)
        {
            Assert.True(DateTime.UtcNow < deadline && !run.HasExited, $"not every policy's first cycle succeeded{Environment.NewLine}{run.Errors}");
            await Task.Delay(200);
        }
        var held = OpenConnections.To(run.Id, cluster.ClientUrls[0]);

        // One gRPC connection, and at most 4 for /metrics (EtcdTransport.MetricsConnectionsPerMember),
        // whatever the number of policies: with clients of their own, two per policy (24).
        Assert.InRange(held, 1, 1 + 4);
    }

    [Fact]
    public async Task ATerminatedRun_StopsCleanly_BetweenCycles()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        using var folder = new PolicyFolder();
        var policy = folder.Write("looping", cluster.ClientUrls, "  compaction: { interval: 1s }");
        await using var run = CliProcess.Start("run", "--policy", policy, "--state-dir", folder.StateDirectory);

        await run.WaitForTextAsync("cycle succeeded", TimeSpan.FromSeconds(30));
        run.Terminate();
        var exit = await run.WaitForExitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(0, exit);
        Assert.Contains("Policy default/looping: stopped", run.Errors);
        Assert.True(File.Exists(new StateFiles(folder.StateDirectory).PathOf(new PolicyKey("default", "looping"))));
    }

    [Fact]
    public async Task AnAnalysisFailureRetryingCannotCure_IsLoggedOnce_WhileCyclesGoOn()
    {
        const string password = "root-Secret-0b7e";
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await cluster.EnableAuthAsync(password);
        // Its user may read /other/ only: the analysis of /micro/registry/ is refused on every try.
        await cluster.AddReaderAsync(password, "reader", "reader-pw", "/other/");
        using var folder = new PolicyFolder();
        var secrets = Path.Combine(folder.Path, "secrets", "etcd-auth");
        Directory.CreateDirectory(secrets);
        File.WriteAllText(Path.Combine(secrets, "username"), "reader");
        File.WriteAllText(Path.Combine(secrets, "password"), "reader-pw");
        var policy = folder.Write("registry", cluster.ClientUrls, """
              compaction: { interval: 1s }
              analysis: { prefixes: ["/micro/registry/"] }
            """);
        File.WriteAllText(policy, File.ReadAllText(policy).Replace("    defragTimeout: 30s", "    defragTimeout: 30s\n    credentialsSecretRef: { name: etcd-auth }"));

        await using var run = CliProcess.Start("run", "--policy", policy, "--state-dir", folder.StateDirectory, "--secrets-dir", Path.Combine(folder.Path, "secrets"));
        await run.WaitForTextAsync("retrying cannot cure this", TimeSpan.FromSeconds(30));
        var told = run.Errors.Length;
        // The watch retries at 1, 2, 4, 8 s: by the time eight more cycles have ended it failed again several times.
        for (var i = 0; i < 8; i++)
        {
            var cycles = Regex.Count(run.Errors, "cycle (succeeded|failed)");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (Regex.Count(run.Errors, "cycle (succeeded|failed)") == cycles && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }

        var log = run.Errors;
        Assert.Equal(1, Regex.Count(log, "Churn analysis: .*permission denied"));
        Assert.True(Regex.Count(log[told..], "cycle (succeeded|failed)") >= 8, log);
    }
}
