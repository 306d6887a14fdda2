using System.Text.Json.Nodes;
using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;
using Xunit.Abstractions;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// The scenario a new user meets, at the defaults: etcd-hygiene already running on a policy that
/// names only the endpoints, a 3-member cluster with a 24 MiB quota, and a go-micro-shaped
/// registry whose re-registrations would fill it several times over. A new instance trying to
/// register every 50 ms may be refused for at most 2 s in all — or never, when prevention acts
/// before etcd raises NOSPACE — and no key's value changes.
/// </summary>
public sealed class NoSpaceAtDefaultsTests(ITestOutputHelper output)
{
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan MostRefused = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Run_AtTheDefaults_KeepsTheRegistryWritable()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 24 * MiB });
        using var folder = new PolicyFolder();
        var policy = folder.WriteDefaults("registry", cluster.ClientUrls);
        await using var run = CliProcess.Start("run", "--policy", policy, "--state-dir", folder.StateDirectory);
        await run.WaitForTextAsync("cycle succeeded", TimeSpan.FromSeconds(60));

        await RegisterUntilFilledSeveralTimesAsync(cluster, () => run.Errors);
    }

    [Fact]
    public async Task TheOperator_AtTheDefaults_KeepsTheRegistryWritable()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 24 * MiB });
        await using var kube = await OperatorFixture.StartAsync();
        kube.Api.Apply(OperatorFixture.Policies, OperatorFixture.Ns, new JsonObject
        {
            ["apiVersion"] = $"{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}",
            ["kind"] = "RegistryPolicy",
            ["metadata"] = new JsonObject { ["name"] = "registry" },
            ["spec"] = new JsonObject { ["etcd"] = new JsonObject { ["endpoints"] = new JsonArray(cluster.ClientUrls.Select(u => (JsonNode)u).ToArray()) } },
        });
        var logs = new CapturedLogs();
        kube.StartReplica(logging: logs.Factory());
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "Ready", "True"), what: "Ready");

        await RegisterUntilFilledSeveralTimesAsync(cluster, () => string.Join(Environment.NewLine, logs.Lines));
        Assert.Contains(kube.EventsOf("registry"), e => e.Reason is "Preempting" or "NoSpaceAlarm");
    }

    /// <summary>
    /// Runs the registry until it has written enough history to fill the quota three times, with a
    /// new instance trying to register every 50 ms; then checks the refused time and every key.
    /// </summary>
    private async Task RegisterUntilFilledSeveralTimesAsync(EtcdTestCluster cluster, Func<string> log)
    {
        var registry = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions
        {
            Services = 20, NodesPerService = 5, ReRegisterInterval = TimeSpan.FromMilliseconds(250), Writers = 8,
        });
        using var stop = new CancellationTokenSource();
        var probe = RefusalProbe.Start(cluster.CreateClient());
        var writing = registry.RunAsync(stop.Token);
        // About 9 MiB of values fill the 24 MiB file (etcd's backend adds history and page overhead).
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (registry.Stats.BytesWritten < 27 * MiB && DateTime.UtcNow < deadline && !writing.IsCompleted)
        {
            await Task.Delay(500);
        }
        await stop.CancelAsync();
        await writing;
        await probe.DisposeAsync();

        var transcript = log();
        output.WriteLine($"registry: {registry.Stats.Written} writes, {registry.Stats.BytesWritten / MiB} MiB of values, {registry.Stats.RefusedNoSpace} refused; " +
            $"new instance refused {probe.RefusedPuts} times, for {probe.Refused.TotalSeconds:0.00}s");
        Assert.True(registry.Stats.BytesWritten >= 27 * MiB, $"the registry wrote only {registry.Stats.BytesWritten / MiB} MiB: the quota was never at risk{Environment.NewLine}{transcript}");
        // It acted: prevented (before NOSPACE) or recovered (after).
        Assert.Matches("Preempting|NOSPACE alarm raised", transcript);
        Assert.True(probe.Refused <= MostRefused, $"registrations were refused for {probe.Refused.TotalSeconds:0.00}s (at most {MostRefused.TotalSeconds}s){Environment.NewLine}{transcript}");

        // No write lost, none stale, none invented (etcd's versions and revisions against the acknowledgements).
        Assert.Empty(await registry.VerifyAsync(cluster.CreateClient()));
    }
}
