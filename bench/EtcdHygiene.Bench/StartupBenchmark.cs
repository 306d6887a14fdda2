using System.Diagnostics;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Bench;

/// <summary>
/// Scenario 10: what a process costs to start and to keep, the executable users get (Native AOT,
/// from ETCD_HYGIENE_BINARY, which scripts/bench.sh publishes) side by side with etcdctl and with
/// the JIT build (<c>dotnet etcd-hygiene.dll</c>), in the same run:
/// <list type="bullet">
/// <item><c>check</c> on a healthy 3-member cluster against <c>etcdctl endpoint status --cluster</c>,
/// whole process, median of 7 each, interleaved;</item>
/// <item><c>run --once</c> at NOSPACE against etcd's documented procedure scripted with etcdctl
/// (four etcdctl processes), process start included, on two clusters filled the same way;</item>
/// <item>idle RSS of <c>run</c> at 1, 100 and 1,000 policies at the defaults, without any
/// environment variable, after a warm-up.</item>
/// </list>
/// </summary>
internal static class StartupBenchmark
{
    private const int Repeats = 7;
    private const long Quota = 16L << 20;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(20);
    private static readonly RegistryWorkloadOptions Filler = new() { Services = 10, NodesPerService = 5, Writers = 8, Seed = 11 };

    public static async Task<(Report Report, Dictionary<string, double> Keys)> RunAsync()
    {
        var aot = CliProcess.Published ?? throw new InvalidOperationException($"{CliProcess.BinaryVariable} is not set: scripts/bench.sh publishes the Native AOT executable and sets it");
        var jit = Path.Combine(AppContext.BaseDirectory, "etcd-hygiene.dll");
        var report = new Report("10. Start-up and footprint: the Native AOT executable against etcdctl and the JIT build");
        var keys = new Dictionary<string, double>();

        var (etcdctl, aotCheck, jitCheck) = await CheckAsync(jit);
        keys["check_vs_etcdctl_ratio"] = aotCheck / etcdctl;
        var (procedure, aotOnce, jitOnce) = await NoSpaceOnceAsync(jit);
        keys["nospace_once_vs_etcdctl_ratio"] = aotOnce / procedure;
        var rss = new List<(int Policies, long Aot, long? Jit)>();
        foreach (var policies in new[] { 1, 100, 1000 })
        {
            var aotRss = await IdleRssAsync(policies, dll: null);
            long? jitRss = policies <= 100 ? await IdleRssAsync(policies, jit) : null;
            rss.Add((policies, aotRss, jitRss));
            keys[$"idle_rss_mib_{policies}"] = aotRss / 1048576.0;
        }

        report.Line($"Executable: {Path.GetRelativePath(Environment.CurrentDirectory, aot)} ({new FileInfo(aot).Length / 1048576.0:0.0} MiB, Native AOT); the JIT build runs as `dotnet etcd-hygiene.dll`. " +
            $"Whole-process wall times, median of {Repeats}; RSS from /proc after a {WarmUp.TotalSeconds:0} s warm-up, no environment variable set.");
        report.Line("");
        report.Table(["", "etcdctl (baseline)", "etcd-hygiene, Native AOT", "etcd-hygiene, JIT", "target"],
        [
            ["`check` on a healthy 3-member cluster (etcdctl: `endpoint status --cluster`)", Report.Seconds(TimeSpan.FromSeconds(etcdctl)),
                $"{Report.Seconds(TimeSpan.FromSeconds(aotCheck))} ({Report.Ratio(aotCheck / etcdctl)})", $"{Report.Seconds(TimeSpan.FromSeconds(jitCheck))} ({Report.Ratio(jitCheck / etcdctl)})",
                $"≤ 3× ({Met(aotCheck / etcdctl <= 3)})"],
            ["`run --once` at NOSPACE, process start included (etcdctl: status → compact → defrag --cluster → alarm disarm)", Report.Seconds(TimeSpan.FromSeconds(procedure)),
                $"{Report.Seconds(TimeSpan.FromSeconds(aotOnce))} ({Report.Ratio(aotOnce / procedure)})", $"{Report.Seconds(TimeSpan.FromSeconds(jitOnce))} ({Report.Ratio(jitOnce / procedure)})",
                $"≤ 1.5× ({Met(aotOnce / procedure <= 1.5)})"],
        ]);
        report.Line("");
        report.Table(["`run` idle, policies", "RSS, Native AOT", "RSS, JIT", "target"],
            rss.Select(r => new[]
            {
                r.Policies.ToString("N0"), Report.Mib(r.Aot), r.Jit is { } j ? Report.Mib(j) : "—",
                $"≤ {Target(r.Policies)} MiB ({Met(r.Aot <= (long)Target(r.Policies) << 20)})",
            }));
        return (report, keys);
    }

    private static int Target(int policies) => policies switch { 1 => 30, 100 => 60, _ => 100 };

    private static string Met(bool met) => met ? "met" : "MISSED";

    private static async Task<(double Etcdctl, double Aot, double Jit)> CheckAsync(string jit)
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        using var folder = new PolicyFolder();
        var policy = folder.WriteDefaults("healthy", cluster.ClientUrls);
        var etcdctl = new List<double>();
        var aot = new List<double>();
        var jitTimes = new List<double>();
        // One of each before measuring: the page cache holds all three executables from then on.
        for (var i = -1; i < Repeats; i++)
        {
            var e = await TimedAsync(() => Etcdctl.RunAsync(cluster.ClientUrls.Take(1).ToList(), ["endpoint", "status", "--cluster"]));
            var a = await TimedAsync(() => RunToExitAsync(["check", "--policy", policy], dll: null));
            var j = await TimedAsync(() => RunToExitAsync(["check", "--policy", policy], jit));
            if (i >= 0)
            {
                etcdctl.Add(e);
                aot.Add(a);
                jitTimes.Add(j);
            }
        }
        Console.WriteLine($"  check: etcdctl {Median(etcdctl):0.000} s, AOT {Median(aot):0.000} s, JIT {Median(jitTimes):0.000} s");
        return (Median(etcdctl), Median(aot), Median(jitTimes));
    }

    private static async Task<(double Procedure, double Aot, double Jit)> NoSpaceOnceAsync(string jit)
    {
        double procedure;
        await using (var cluster = await FullClusterAsync())
        {
            procedure = await TimedAsync(() => EtcdctlScript.RecoverFromNoSpaceAsync(cluster.ClientUrls));
        }
        var aot = await OnceAsync(dll: null);
        var jitTime = await OnceAsync(jit);
        Console.WriteLine($"  NOSPACE: etcdctl procedure {procedure:0.000} s, run --once AOT {aot:0.000} s, JIT {jitTime:0.000} s");
        return (procedure, aot, jitTime);
    }

    private static async Task<double> OnceAsync(string? dll)
    {
        await using var cluster = await FullClusterAsync();
        using var folder = new PolicyFolder();
        var policy = folder.WriteDefaults("nospace", cluster.ClientUrls);
        return await TimedAsync(() => RunToExitAsync(["run", "--once", "--policy", policy, "--state-dir", folder.StateDirectory], dll));
    }

    private static async Task<long> IdleRssAsync(int policies, string? dll)
    {
        var clusters = new List<EtcdTestCluster>();
        try
        {
            for (var i = 0; i < Math.Min(policies, 4); i++)
            {
                clusters.Add(await EtcdTestCluster.StartAsync(new() { Members = 1 }));
            }
            using var folder = new PolicyFolder();
            var files = Enumerable.Range(0, policies).Select(i => folder.WriteDefaults($"p{i:0000}", clusters[i % clusters.Count].ClientUrls)).ToList();
            await using var run = CliProcess.Start(["run", "--state-dir", folder.StateDirectory, .. files.SelectMany(f => new[] { "--policy", f })], environment: null, dll);
            await Task.Delay(WarmUp);
            var rss = long.Parse(File.ReadLines($"/proc/{run.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            run.Terminate();
            await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Console.WriteLine($"  idle {policies} policies, {(dll is null ? "AOT" : "JIT")}: RSS {Report.Mib(rss)}");
            return rss;
        }
        finally
        {
            foreach (var cluster in clusters)
            {
                await cluster.DisposeAsync();
            }
        }
    }

    private static async Task RunToExitAsync(string[] arguments, string? dll)
    {
        await using var cli = CliProcess.Start(arguments, environment: null, dll);
        var exit = await cli.WaitForExitAsync(TimeSpan.FromMinutes(3));
        if (exit != 0)
        {
            throw new InvalidOperationException($"etcd-hygiene {string.Join(' ', arguments)} exited {exit}: {cli.Errors}");
        }
    }

    private static async Task<double> TimedAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static async Task<EtcdTestCluster> FullClusterAsync()
    {
        var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = Quota });
        await new RegistryWorkload(cluster.CreateClient(), Filler).FillUntilNoSpaceAsync();
        return cluster;
    }
}
