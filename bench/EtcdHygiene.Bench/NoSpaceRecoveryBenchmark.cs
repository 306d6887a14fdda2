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
/// action) reported apart.
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
        report.Line($"Two 3-member clusters, {Quota >> 20} MiB quota, filled by the same registry workload until NOSPACE (~{etcdctlDb >> 20} and ~{hygieneDb >> 20} MiB).");
        report.Line("The etcdctl procedure: `endpoint status` → `compact <revision> --physical` → `defrag --cluster` → `alarm disarm`, then a probe put every 20 ms.");
        report.Line("");
        report.Table(["", "etcdctl procedure (baseline)", "etcd-hygiene run"],
        [
            ["action: first action to first accepted write", Report.Seconds(etcdctlTime), $"{Report.Seconds(action)} ({Report.Ratio(action / etcdctlTime)} the baseline; target ≤ 1.10×)"],
            ["detection: process start to first action", "— (a person must notice)", Report.Seconds(detection)],
            ["what it did", "compact, 3 defrags (leader included), disarm", steps],
        ]);
        return report;
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
        var policy = folder.Write("nospace", cluster.ClientUrls, """
              compaction: { interval: 1s }
              defragmentation: { pauseBetweenMembers: 0s }
            """);
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
