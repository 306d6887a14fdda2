using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Bench;

/// <summary>
/// Scenario 2: what a registering service sees while maintenance runs. The same fragmented
/// 3-member cluster and steady registry workload, three times: no maintenance, <c>etcdctl compact</c>
/// + <c>defrag --cluster</c>, and one full etcd-hygiene cycle (<c>run --once</c>). A probe puts every
/// 10 ms and records failures and latencies for as long as the maintenance runs.
/// </summary>
internal static class MaintenanceBenchmark
{
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Slow = TimeSpan.FromMilliseconds(50);

    // A maximum is one sample: each maintenance runs this often on a fresh cluster, and the median run is compared.
    private const int Rounds = 3;

    public static async Task<Report> RunAsync()
    {
        var report = new Report("2. Writes during maintenance");
        var none = await MeasureAsync("none", async _ =>
        {
            await Task.Delay(Idle);
            return "nothing";
        });
        var etcdctl = await MedianAsync("etcdctl", async cluster =>
        {
            var revision = await EtcdctlScript.RevisionAsync(cluster.ClientUrls);
            await EtcdctlScript.RunAsync(cluster.ClientUrls, "compact", revision.ToString(), "--physical");
            await EtcdctlScript.RunAsync(cluster.ClientUrls, "defrag", "--cluster");
            return "compact, 3 defrags (leader while it leads)";
        });
        var hygiene = await MedianAsync("etcd-hygiene", async cluster =>
        {
            using var folder = new PolicyFolder();
            var policy = folder.Write("maintenance", cluster.ClientUrls, """
                  compaction: { mode: Revision, retainRevisions: 1000 }
                  defragmentation: { rule: { minFragmentationRatio: 0.3, minDbSizeBytes: 4Mi, minReclaimableBytes: 2Mi }, pauseBetweenMembers: 1s }
                """);
            var (exit, output, errors) = await CliProcess.RunAsync("run", "--once", "--policy", policy, "--state-dir", folder.StateDirectory);
            if (exit != 0)
            {
                throw new InvalidOperationException($"etcd-hygiene run --once failed: {errors}");
            }
            var log = output + errors;
            return $"compact, {Count(log, "Defragment m")} defrags, {Count(log, "Move leader")} leader moves";
        });
        report.Line("A 3-member cluster fragmented by 36 MiB of rewrites, a registry of 100 nodes re-registering every 250 ms, and a probe put every 10 ms during the maintenance.");
        report.Line($"etcdctl and etcd-hygiene ran {Rounds} times each on fresh clusters; the table shows the run with the median max latency, and every run's max.");
        report.Line("");
        report.Table(["maintenance", "duration", "probe puts", "failed", $"puts > {Slow.TotalMilliseconds:0} ms", "p50", "p99", "max (write stall)", "max vs etcdctl", "max of each run", "what ran"],
            new[] { none, etcdctl, hygiene }.Select(r => new[]
            {
                r.Name, Report.Seconds(r.Duration), r.Puts.ToString(), r.Failed.ToString(), r.SlowPuts.ToString(), Report.Millis(r.P50), Report.Millis(r.P99), Report.Millis(r.Max),
                Report.Ratio(r.Max / etcdctl.Max), string.Join(", ", r.Maxima.Select(Report.Millis)), r.What,
            }));
        report.Line($"Targets: zero failed writes in every run ({(hygiene.Failed == 0 ? "met" : "MISSED")}); a max write stall below etcdctl's, median run against median run ({(hygiene.Max < etcdctl.Max ? "met" : "MISSED")}).");
        return report;
    }

    private static async Task<Measurement> MedianAsync(string name, Func<EtcdTestCluster, Task<string>> maintenance)
    {
        var runs = new List<Measurement>();
        for (var round = 0; round < Rounds; round++)
        {
            runs.Add(await MeasureAsync(name, maintenance));
        }
        var median = runs.OrderBy(r => r.Max).ElementAt(Rounds / 2);
        return median with { Failed = runs.Sum(r => r.Failed), Maxima = runs.Select(r => r.Max).ToList() };
    }

    private static async Task<Measurement> MeasureAsync(string name, Func<EtcdTestCluster, Task<string>> maintenance)
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAsync(cluster.CreateClient(), keys: 1500, rounds: 6);
        using var stop = new CancellationTokenSource();
        var registry = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions { Services = 20, NodesPerService = 5, Writers = 4, ReRegisterInterval = TimeSpan.FromMilliseconds(250) });
        var writing = registry.RunAsync(stop.Token);
        await using var probe = WriteProbe.Start(cluster.CreateClient(), ProbeEvery);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var start = DateTimeOffset.UtcNow;
        var what = await maintenance(cluster);
        var end = DateTimeOffset.UtcNow;
        await stop.CancelAsync();
        await writing;
        var samples = probe.Between(start, end);
        var latencies = samples.Where(s => s.Ok).Select(s => s.Latency).Order().ToList();
        var max = samples.Count == 0 ? TimeSpan.Zero : samples.Max(s => s.Latency);
        return new Measurement(name, end - start, samples.Count, samples.Count(s => !s.Ok), samples.Count(s => s.Latency > Slow),
            Percentile(latencies, 0.5), Percentile(latencies, 0.99), max, [max], what);
    }

    private static TimeSpan Percentile(List<TimeSpan> sorted, double p) =>
        sorted.Count == 0 ? TimeSpan.Zero : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static int Count(string text, string part) => text.Split('\n').Count(l => l.Contains(part) && l.Contains(" done in "));

    private sealed record Measurement(string Name, TimeSpan Duration, int Puts, int Failed, int SlowPuts, TimeSpan P50, TimeSpan P99, TimeSpan Max,
        IReadOnlyList<TimeSpan> Maxima, string What);
}
