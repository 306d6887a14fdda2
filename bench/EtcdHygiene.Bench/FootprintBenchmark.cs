using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Bench;

/// <summary>
/// Scenario 3: what <c>etcd-hygiene run</c> costs while it idles, with 1 policy and with 100
/// policies spread over 4 local clusters: at the defaults (a cycle every 5 minutes, the watch
/// reading every member's Status every 2 s between cycles), which is what idle means for a user,
/// and, heavier, with every policy cycling every 10 s (observe, plan, nothing to do) besides the
/// watch. RSS and CPU come from /proc, CPU over a measured stretch after a warm-up.
/// </summary>
internal static class FootprintBenchmark
{
    private const int Clusters = 4;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Measured = TimeSpan.FromSeconds(30);

    public static async Task<Report> RunAsync()
    {
        var report = new Report("3. Footprint of `etcd-hygiene run`");
        var clusters = new List<EtcdTestCluster>();
        try
        {
            for (var i = 0; i < Clusters; i++)
            {
                clusters.Add(await EtcdTestCluster.StartAsync(new() { Members = 1 }));
            }
            var one = await MeasureAsync(clusters, 1, image: false, Defaults);
            var hundred = await MeasureAsync(clusters, 100, image: false, Defaults);
            var hundredAsImage = await MeasureAsync(clusters, 100, image: true, Defaults);
            var cycling = await MeasureAsync(clusters, 100, image: true, EveryTenSeconds);
            report.Line($"Policies over {Clusters} single-member clusters; {WarmUp.TotalSeconds:0} s warm-up, then CPU over {Measured.TotalSeconds:0} s. " +
                "At the defaults a policy is observed in full every 5 minutes and watched (one Status per member) every 2 s.");
            report.Line("");
            report.Table(["policies", "RSS", "peak RSS", "CPU (one core)", "vs 1 policy (RSS, CPU)", "target at 100"],
            [
                ["1, defaults", Mib(one.Rss), Mib(one.PeakRss), $"{one.Cpu:P2}", "1.00×, 1.00×", ""],
                Row("100, defaults", hundred, target: true),
                Row("100, defaults, environment as the image sets it (DOTNET_GCgen0size=0x100000)", hundredAsImage, target: true),
                Row("100, every policy cycling every 10 s besides the watch, image environment", cycling, target: false),
            ]);

            string[] Row(string name, (long Rss, long PeakRss, double Cpu) m, bool target) =>
            [
                name, Mib(m.Rss), Mib(m.PeakRss), $"{m.Cpu:P2}", $"{Report.Ratio((double)m.Rss / one.Rss)}, {Report.Ratio(m.Cpu / Math.Max(one.Cpu, 1e-6))}",
                target ? $"≤ 100 MiB RSS ({(m.Rss <= 100L << 20 ? "met" : "MISSED")}), ≤ 5% CPU ({(m.Cpu <= 0.05 ? "met" : "MISSED")})" : "(heavier than idle: no target)",
            ];
        }
        finally
        {
            foreach (var cluster in clusters)
            {
                await cluster.DisposeAsync();
            }
        }
        return report;
    }

    private const string Defaults = "";
    private const string EveryTenSeconds = "  compaction: { interval: 10s }";

    private static async Task<(long Rss, long PeakRss, double Cpu)> MeasureAsync(IReadOnlyList<EtcdTestCluster> clusters, int policies, bool image, string spec)
    {
        using var folder = new PolicyFolder();
        var files = Enumerable.Range(0, policies).Select(i => folder.Write($"p{i:000}", clusters[i % clusters.Count].ClientUrls, spec)).ToList();
        var environment = image ? new Dictionary<string, string> { ["DOTNET_GCgen0size"] = "0x100000" } : null;
        await using var run = CliProcess.Start(["run", "--state-dir", folder.StateDirectory, .. files.SelectMany(f => new[] { "--policy", f })], environment);
        await Task.Delay(WarmUp);
        var before = CpuTicks(run.Id);
        await Task.Delay(Measured);
        var cpu = (CpuTicks(run.Id) - before) / 100.0 / Measured.TotalSeconds; // USER_HZ is 100 on Linux
        var (rss, peak) = Memory(run.Id);
        if (run.Errors.Contains("cycle failed") || run.Output.Contains("cycle failed"))
        {
            throw new InvalidOperationException("a cycle failed during the footprint run");
        }
        run.Terminate();
        await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (rss, peak, cpu);
    }

    private static long CpuTicks(int pid)
    {
        // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]);
    }

    private static (long Rss, long Peak) Memory(int pid)
    {
        long Field(string name) => long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(name, StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return (Field("VmRSS:"), Field("VmHWM:"));
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:0.0} MiB";
}
