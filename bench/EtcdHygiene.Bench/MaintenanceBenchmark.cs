using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using Etcdserverpb;

namespace EtcdHygiene.Bench;

/// <summary>
/// Scenario 2: what registering services see while maintenance runs, at production database sizes.
/// For each size, identical fresh 3-member clusters hold 4 KiB values written three times, then
/// compacted (two thirds of the file free), and a client on every member puts every 10 ms, as
/// registry clients spread over the members do. On each: <c>etcdctl defrag --cluster</c> (what people
/// run), one etcd-hygiene cycle at the defaults (<c>run --once</c> on a policy naming only the
/// endpoints), interleaved, <see cref="Rounds"/> times each. (What <c>moveLeader: true</c> costs is
/// scenario 4's.)
/// </summary>
internal static class MaintenanceBenchmark
{
    /// <summary>
    /// MiB of 4 KiB values, each written three times: measured, 1.5 times as much in use and a file
    /// three times that (144, 433 and 867 MiB). Chosen to keep the scenario near 13 minutes here.
    /// </summary>
    public static readonly IReadOnlyList<int> DefaultSizes = [32, 96, 192];

    private const int Rounds = 3;
    private static readonly TimeSpan PutEvery = TimeSpan.FromMilliseconds(10);

    // Longer than etcd's own request timeout (5 s + 2 election timeouts): a put etcd never answers is seen as etcd ends it.
    private static readonly TimeSpan PutTimeout = TimeSpan.FromSeconds(15);

    private static readonly Variant Etcdctl = new("`etcdctl defrag --cluster` (baseline)", async cluster =>
    {
        await EtcdctlScript.RunAsync(cluster.ClientUrls, "defrag", "--cluster");
        return "3 defrags, leader in place";
    });

    private static readonly Variant Hygiene = new("etcd-hygiene `run --once`, defaults", RunHygieneAsync);

    public static async Task<(Report Report, IReadOnlyList<SizeResult> Results)> RunAsync(IReadOnlyList<int> sizes)
    {
        var report = new Report("2. Writes during maintenance, by database size");
        var results = new List<SizeResult>();
        foreach (var size in sizes)
        {
            var runs = new Dictionary<Variant, List<Run>> { [Etcdctl] = [], [Hygiene] = [] };
            for (var round = 0; round < Rounds; round++)
            {
                foreach (var variant in runs.Keys)
                {
                    var run = await MeasureAsync(size, variant);
                    Console.WriteLine($"  {size} MiB, {variant.Name}, run {round + 1}: {run}");
                    runs[variant].Add(run);
                }
            }
            results.Add(new SizeResult(size, runs.ToDictionary(r => r.Key.Name, r => (IReadOnlyList<Run>)r.Value)));
        }

        report.Line($"Identical fresh 3-member clusters (quota 8 GiB) holding 4 KiB values written three times, then compacted: two thirds of each file free, as a registry that rewrites its entries leaves it; " +
            $"a client on every member puts 1 KiB every {PutEvery.TotalMilliseconds:0} ms (timeout {PutTimeout.TotalSeconds:0} s, beyond etcd's own). " +
            $"Each maintenance ran {Rounds} times per size, interleaved; figures are medians over the runs, then every run's.");
        report.Line("*Slowest put*: the longest any client waited. *Cluster stall*: the longest time no put completed on any member. *Wall*: includes etcd-hygiene's default 10 s pause between members.");
        report.Line("");
        var headers = new[] { "in use (file)", "maintenance", "wall", "failed puts (all runs)", "slowest put", "p99", "cluster stall", "slowest, stall vs etcdctl", "each run: slowest / stall / failed" };
        report.Table(headers, results.SelectMany(result => result.Runs.Select(variant =>
        {
            var baseline = result.Runs[Etcdctl.Name];
            var runs = variant.Value;
            return new[]
            {
                $"{Report.Mib(Report.Median(runs.Select(r => (double)r.DbSizeInUse)))} ({Report.Mib(Report.Median(runs.Select(r => (double)r.DbSize)))})", variant.Key,
                Report.Seconds(Median(runs, r => r.Wall)), runs.Sum(r => r.Failed).ToString(),
                Report.Millis(Median(runs, r => r.Slowest)), Report.Millis(Median(runs, r => r.P99)), Report.Millis(Median(runs, r => r.Stall)),
                $"{Report.Ratio(Median(runs, r => r.Slowest) / Median(baseline, r => r.Slowest))}, {Report.Ratio(Median(runs, r => r.Stall) / Median(baseline, r => r.Stall))}",
                string.Join("; ", runs.Select(r => $"{r.Slowest.TotalSeconds:0.00} s / {r.Stall.TotalSeconds:0.00} s / {r.Failed}")),
            };
        })));
        var defaults = results.Select(r => r.Runs[Hygiene.Name]).ToList();
        var lossFree = defaults.All(runs => runs.All(r => r.Failed == 0));
        var noWorse = results.All(r => Median(r.Runs[Hygiene.Name], x => x.Slowest) <= Median(r.Runs[Etcdctl.Name], x => x.Slowest) * 1.10
            && Median(r.Runs[Hygiene.Name], x => x.Stall) <= Median(r.Runs[Etcdctl.Name], x => x.Stall) * 1.10);
        report.Line($"Targets at the defaults: zero failed puts in every run at every size ({(lossFree ? "met" : "MISSED")}); " +
            $"slowest put and cluster stall no worse than etcdctl's at every size, median runs, within 10 % for noise ({(noWorse ? "met" : "MISSED")}).");
        report.Line("");
        return (report, results);
    }

    private static async Task<Run> MeasureAsync(int mebibytes, Variant variant)
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 8L << 30 });
        var filling = System.Diagnostics.Stopwatch.StartNew();
        await EtcdData.FillAndCompactAsync(cluster.CreateClient(), mebibytes);
        var status = await cluster.ClientFor(cluster.Members[0]).StatusAsync(new StatusRequest());
        Console.WriteLine($"  filled {mebibytes} MiB x3 in {filling.Elapsed.TotalSeconds:0} s: {Report.Mib(status.DbSizeInUse)} in use, {Report.Mib(status.DbSize)} file");
        var probes = cluster.Members.Select(m => WriteProbe.Start(cluster.ClientFor(m), PutEvery, PutTimeout, $"/bench/probe/{m.Name}/")).ToList();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var start = DateTimeOffset.UtcNow;
        var what = await variant.Maintain(cluster);
        var end = DateTimeOffset.UtcNow;
        foreach (var probe in probes)
        {
            await probe.DisposeAsync(); // waits for the puts still in flight
        }
        var started = probes.SelectMany(p => p.Between(start, end)).ToList();
        var latencies = started.Where(s => s.Ok).Select(s => s.Latency).Order().ToList();
        var stall = WriteProbe.ClusterStall(probes, start, end);
        var slowest = cluster.Members.Zip(probes, (member, probe) => (member.Name, Put: probe.Between(start, end).MaxBy(s => s.Latency))).MaxBy(p => p.Put.Latency);
        what += $"; slowest put through {slowest.Name}, {(slowest.Put.At - start).TotalSeconds:0.0} s in";
        return new Run(end - start, status.DbSize, status.DbSizeInUse, started.Count, started.Count(s => !s.Ok), slowest.Put.Latency, Percentile(latencies, 0.99), stall, what);
    }

    private static async Task<string> RunHygieneAsync(EtcdTestCluster cluster)
    {
        using var folder = new PolicyFolder();
        var policy = folder.WriteDefaults("maintenance", cluster.ClientUrls);
        var (exit, output, errors) = await CliProcess.RunAsync("run", "--once", "--policy", policy, "--state-dir", folder.StateDirectory);
        if (exit != 0)
        {
            throw new InvalidOperationException($"etcd-hygiene run --once failed: {errors}");
        }
        var log = output + errors;
        var defrags = Count(log, "Defragment m");
        if (defrags == 0)
        {
            throw new InvalidOperationException($"etcd-hygiene defragmented nothing, so there is nothing to compare: {log}");
        }
        return $"{defrags} defrags, {Count(log, "Move leader")} leader moves";
    }

    private static TimeSpan Percentile(List<TimeSpan> sorted, double p) =>
        sorted.Count == 0 ? TimeSpan.Zero : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    public static TimeSpan Median(IReadOnlyList<Run> runs, Func<Run, TimeSpan> figure) => TimeSpan.FromTicks((long)Report.Median(runs.Select(r => (double)figure(r).Ticks)));

    private static int Count(string text, string part) => text.Split('\n').Count(l => l.Contains(part) && l.Contains(" done in "));

    private sealed record Variant(string Name, Func<EtcdTestCluster, Task<string>> Maintain);

    public sealed record Run(TimeSpan Wall, long DbSize, long DbSizeInUse, int Puts, int Failed, TimeSpan Slowest, TimeSpan P99, TimeSpan Stall, string What)
    {
        public override string ToString() =>
            $"wall {Wall.TotalSeconds:0.0} s, {Puts} puts, {Failed} failed, slowest {Slowest.TotalSeconds:0.00} s, p99 {P99.TotalMilliseconds:0} ms, stall {Stall.TotalSeconds:0.00} s ({What})";
    }

    /// <summary>Every run at one database size, by maintenance.</summary>
    public sealed record SizeResult(int MebibytesWritten, IReadOnlyDictionary<string, IReadOnlyList<Run>> Runs);
}
