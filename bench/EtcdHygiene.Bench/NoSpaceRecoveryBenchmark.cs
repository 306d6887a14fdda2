using System.Text.Json.Nodes;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Bench;

/// <summary>
/// Scenario 1: from the NOSPACE alarm to the first accepted write, etcd-hygiene <c>run</c> against
/// etcd's documented recovery scripted with etcdctl, on two identical 3-member clusters filled the
/// same way. The etcdctl side starts the moment the alarm is known (no human in the loop); the
/// etcd-hygiene side is timed from its first action, its detection delay (process start to first
/// action) reported apart. Then the scenario users live in: etcd-hygiene already running on a
/// policy that names only the endpoints, while a registry fills a 24 MiB cluster several times
/// over; how long a new instance could not register, detection included.
/// </summary>
internal static class NoSpaceRecoveryBenchmark
{
    private const long Quota = 16L << 20;
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromMilliseconds(20);
    private static readonly RegistryWorkloadOptions Filler = new() { Services = 10, NodesPerService = 5, Writers = 8, Seed = 11 };

    public static async Task<Report> RunAsync()
    {
        var report = new Report("1. NOSPACE recovery: alarm to first accepted write");
        var (etcdctlTime, etcdctlDb) = await EtcdctlAsync();
        var (detection, action, hygieneDb, steps) = await HygieneAsync();
        var running = await AlreadyRunningAsync();
        report.Line($"Two 3-member clusters, {Quota >> 20} MiB quota, filled by the same registry workload until NOSPACE (~{etcdctlDb >> 20} and ~{hygieneDb >> 20} MiB).");
        report.Line("The etcdctl procedure: `endpoint status` → `compact <revision> --physical` → `defrag --cluster` → `alarm disarm`, then a probe put every 20 ms.");
        report.Line("");
        report.Table(["", "etcdctl procedure (baseline)", "etcd-hygiene run"],
        [
            ["action: first action to first accepted write", Report.Seconds(etcdctlTime), $"{Report.Seconds(action)} ({Report.Ratio(action / etcdctlTime)} the baseline; target ≤ 1.10×)"],
            ["detection: process start to first action", "— (a person must notice)", Report.Seconds(detection)],
            ["what it did", "compact, 3 defrags (leader included), disarm", steps],
        ]);
        report.Line("");
        report.Line($"Already running at the defaults (a policy naming only the endpoints; the watch reads every member's Status every 2 s): a 3-member cluster with a " +
            $"{RunningQuota >> 20} MiB quota and a registry of 100 instances re-registering every 250 ms, {running.Megabytes} MiB of values written (about three fills of the quota).");
        report.Line("");
        report.Table(["", "etcdctl procedure (baseline)", "etcd-hygiene run, already running"],
        [
            ["time a new instance could not register (probe put every 50 ms)", $"{Report.Seconds(etcdctlTime)} per NOSPACE, once a person noticed it",
                $"{Report.Seconds(running.Refused)} in all ({running.RefusedPuts} refused probe puts), detection included; target ≤ 2 s"],
            ["registrations refused", "every one until a person acts", $"{running.RegistryRefused} of {running.Writes}"],
            ["what it did", "", running.Did],
        ]);
        return report;
    }

    private const long RunningQuota = 24L << 20;

    private static async Task<(TimeSpan Refused, int RefusedPuts, long RegistryRefused, long Writes, long Megabytes, string Did)> AlreadyRunningAsync()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = RunningQuota });
        using var folder = new PolicyFolder();
        var policy = folder.WriteDefaults("defaults", cluster.ClientUrls);
        await using var run = CliProcess.Start("run", "--policy", policy, "--state-dir", folder.StateDirectory);
        await run.WaitForTextAsync("cycle succeeded", TimeSpan.FromMinutes(1));
        var registry = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions
        {
            Services = 20, NodesPerService = 5, ReRegisterInterval = TimeSpan.FromMilliseconds(250), Writers = 8, Seed = 11,
        });
        using var stop = new CancellationTokenSource();
        var probe = RefusalProbe.Start(cluster.CreateClient());
        var writing = registry.RunAsync(stop.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (registry.Stats.BytesWritten < 27 * (1L << 20) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }
        await stop.CancelAsync();
        await writing;
        await probe.DisposeAsync();
        run.Terminate();
        await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var log = run.Errors;
        int Count(string text) => log.Split('\n').Count(l => l.Contains(text));
        // Each step logs when it starts and when it is done: count the ends.
        var did = $"{Count("Preempting:")} preventions before NOSPACE, {Count("NoSpaceAlarm:")} NOSPACE recoveries, " +
            $"{Count("(Emergency) done in")} emergency compactions, {log.Split('\n').Count(l => l.Contains(": Defragment m") && l.Contains(" done in "))} defragmentations";
        return (probe.Refused, probe.RefusedPuts, registry.Stats.RefusedNoSpace, registry.Stats.Written, registry.Stats.BytesWritten >> 20, did);
    }

    private static async Task<(TimeSpan Time, long Db)> EtcdctlAsync()
    {
        await using var cluster = await FullClusterAsync();
        var db = (await Etcdctl.EndpointStatusAsync(cluster)).Max(m => m.DbSize);
        await using var probe = WriteProbe.Start(cluster.CreateClient(), ProbeEvery);
        var start = DateTimeOffset.UtcNow;
        await EtcdctlScript.RecoverFromNoSpaceAsync(cluster.ClientUrls);
        var accepted = await WaitAcceptedAsync(probe, start);
        return (accepted - start, db);
    }

    private static async Task<(TimeSpan Detection, TimeSpan Action, long Db, string Steps)> HygieneAsync()
    {
        await using var cluster = await FullClusterAsync();
        var db = (await Etcdctl.EndpointStatusAsync(cluster)).Max(m => m.DbSize);
        using var folder = new PolicyFolder();
        // The defaults: nothing tuned for the benchmark.
        var policy = folder.WriteDefaults("nospace", cluster.ClientUrls);
        await using var probe = WriteProbe.Start(cluster.CreateClient(), ProbeEvery);
        var start = DateTimeOffset.UtcNow;
        await using var run = CliProcess.Start("run", "--policy", policy, "--state-dir", folder.StateDirectory, "--log-format", "json");
        var accepted = await WaitAcceptedAsync(probe, start);
        await run.WaitForTextAsync("cycle succeeded", TimeSpan.FromMinutes(2));
        run.Terminate();
        await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var log = run.Errors.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!).ToList();
        var first = log.First(l => ((string?)l["Message"])?.Contains("Compact to revision") == true);
        var firstAction = DateTimeOffset.Parse((string)first["Timestamp"]!, System.Globalization.CultureInfo.InvariantCulture);
        var done = log.Select(l => (string?)l["Message"]).Where(m => m?.Contains(" done in ") == true).ToList();
        var steps = $"compact {done.Count(m => m!.Contains("Compact"))}, defrag {done.Count(m => m!.Contains("Defragment"))}, " +
            $"leader moves {done.Count(m => m!.Contains("Move leader"))}, disarm {done.Count(m => m!.Contains("Disarm"))}";
        return (firstAction - start, accepted - firstAction, db, steps);
    }

    private static async Task<EtcdTestCluster> FullClusterAsync()
    {
        var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = Quota });
        await new RegistryWorkload(cluster.CreateClient(), Filler).FillUntilNoSpaceAsync();
        return cluster;
    }

    private static async Task<DateTimeOffset> WaitAcceptedAsync(WriteProbe probe, DateTimeOffset from)
    {
        for (var waited = 0; waited < 1200; waited++)
        {
            if (probe.FirstAcceptedAfter(from) is { } accepted)
            {
                return accepted;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("no write was accepted within 2 minutes");
    }
}
