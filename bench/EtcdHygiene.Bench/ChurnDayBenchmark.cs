using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;
using Etcdserverpb;

namespace EtcdHygiene.Bench;

/// <summary>
/// Scenario 5: a day of registry churn, accelerated, against the two choices users have. Two
/// identical 3-member clusters take the same no-op churn side by side (so the machine's noise hits
/// both): one kept by <c>etcd-hygiene run</c> at its defaults, the other by what people run instead,
/// a CronJob of <c>etcdctl compact</c> to the current revision and <c>defrag --cluster</c> every hour
/// (the etcd-defrag tool's recommended set-up). The day is compressed by <see cref="Scale"/>: every
/// period that measures history (retention, compaction interval, the cron's hour) is divided by
/// it; the pause between members, the watch's pace and timeouts are about etcd's and the clients'
/// reaction, not the day's length, and stay as they are.
/// </summary>
internal static class ChurnDayBenchmark
{
    private static readonly TimeSpan Day = TimeSpan.FromMinutes(6);
    private static readonly double Scale = TimeSpan.FromDays(1) / Day;
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1) / Scale;
    private static readonly TimeSpan CompactionInterval = TimeSpan.FromMinutes(5) / Scale;
    private static readonly TimeSpan CronEvery = TimeSpan.FromHours(1) / Scale;
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Slow = TimeSpan.FromMilliseconds(100);

    // Without maintenance the churn would fill this quota within the day.
    private const long Quota = 128L << 20;

    private static readonly RegistryWorkloadOptions Churn = new()
    {
        Services = 25, NodesPerService = 4, ReRegisterInterval = TimeSpan.FromMilliseconds(250), Writers = 4, Seed = 5,
        IdenticalShare = 0.6, ReorderShare = 0.4, WriteTimeout = TimeSpan.FromSeconds(15),
    };

    public static async Task<(Report Report, IReadOnlyList<Outcome> Outcomes)> RunAsync()
    {
        var report = new Report("5. A day of churn, accelerated");
        Console.WriteLine($"  two clusters side by side for {Day.TotalMinutes:0} minutes (a day at {Scale:0}×)");
        var outcomes = await Task.WhenAll(
            RunDayAsync("etcd-hygiene `run`, defaults (time-scaled)", KeepWithHygieneAsync),
            RunDayAsync($"CronJob: `etcdctl compact` + `defrag --cluster` hourly (every {CronEvery.TotalSeconds:0} s)", KeepWithCronAsync));
        report.Line($"Two identical 3-member clusters (quota {Quota >> 20} MiB) side by side for {Day.TotalMinutes:0} minutes, standing for a day ({Scale:0}× faster): " +
            $"{Churn.Services * Churn.NodesPerService} registry instances re-registering every {Churn.ReRegisterInterval.TotalMilliseconds:0} ms with unchanged content " +
            $"(about {1000 / Churn.ReRegisterInterval.TotalMilliseconds * Churn.Services * Churn.NodesPerService:0} puts/s, enough to fill the quota within the day without maintenance), " +
            $"and a client on every member putting every {ProbeEvery.TotalMilliseconds:0} ms. etcd-hygiene runs a policy naming its endpoints and the time-scaled " +
            $"retention ({Retention.TotalSeconds:0} s for 1 h) and compaction interval ({CompactionInterval.TotalSeconds:0.00} s for 5 min); everything else at the defaults. " +
            "Defragmentations are counted in etcd's own logs.");
        report.Line("");
        report.Table(["maintenance", "refused writes (NOSPACE)", "failed writes", $"time in puts > {Slow.TotalMilliseconds:0} ms", "largest cluster write stall", "slowest put", "peak database file", "defragmentations"],
            outcomes.Select(o => new[]
            {
                o.Name, o.Refused.ToString(), o.Failed.ToString(), Report.Seconds(o.SlowTime), Report.Millis(o.Stall), Report.Millis(o.Slowest), Report.Mib(o.PeakDbSize), o.Defragmentations.ToString(),
            }));
        var (hygiene, cron) = (outcomes[0], outcomes[1]);
        report.Line($"Targets: zero refused writes ({(hygiene.Refused == 0 ? "met" : "MISSED")}); fewer defragmentations than the CronJob ({(hygiene.Defragmentations < cron.Defragmentations ? "met" : "MISSED")}); " +
            $"a smaller largest stall ({(hygiene.Stall < cron.Stall ? "met" : "MISSED")}) and less time in slow puts ({(hygiene.SlowTime < cron.SlowTime ? "met" : "MISSED")}).");
        report.Line("");
        return (report, outcomes);
    }

    private static async Task<Outcome> RunDayAsync(string name, Func<EtcdTestCluster, CancellationToken, Task> keep)
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = Quota });
        using var stop = new CancellationTokenSource();
        var registry = new RegistryWorkload(cluster.CreateClient(), Churn);
        var probes = cluster.Members.Select(m => WriteProbe.Start(cluster.ClientFor(m), ProbeEvery, TimeSpan.FromSeconds(15), $"/bench/probe/{m.Name}/")).ToList();
        var start = DateTimeOffset.UtcNow;
        var writing = registry.RunAsync(stop.Token);
        var keeping = keep(cluster, stop.Token);
        var peak = await PeakDbSizeAsync(cluster, Day);
        var end = DateTimeOffset.UtcNow;
        await stop.CancelAsync();
        await writing;
        await keeping;
        foreach (var probe in probes)
        {
            await probe.DisposeAsync();
        }
        var samples = probes.SelectMany(p => p.Between(start, end)).ToList();
        var stall = WriteProbe.ClusterStall(probes, start, end);
        var defragmentations = new MaintenanceAudit(cluster).Defragmentations.Count;
        var outcome = new Outcome(name, registry.Stats.RefusedNoSpace, registry.Stats.Failed + samples.Count(s => !s.Ok),
            TimeSpan.FromTicks(samples.Where(s => s.Latency > Slow).Sum(s => s.Latency.Ticks)), stall, samples.Max(s => s.Latency), peak, defragmentations);
        Console.WriteLine($"  {outcome}");
        return outcome;
    }

    private static async Task KeepWithHygieneAsync(EtcdTestCluster cluster, CancellationToken stop)
    {
        using var folder = new PolicyFolder();
        var policy = folder.WriteDefaults("churn-day", cluster.ClientUrls,
            $"  compaction: {{ retention: {Retention.TotalSeconds:0}s, interval: {CompactionInterval.TotalMilliseconds:0}ms }}");
        await using var run = CliProcess.Start("run", "--policy", policy, "--state-dir", folder.StateDirectory);
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
        }
        run.Terminate();
        await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task KeepWithCronAsync(EtcdTestCluster cluster, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(CronEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var revision = await EtcdctlScript.RevisionAsync(cluster.ClientUrls);
                await EtcdctlScript.RunAsync(cluster.ClientUrls, "compact", revision.ToString());
                await EtcdctlScript.RunAsync(cluster.ClientUrls, "defrag", "--cluster");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The largest database file any member had, read every second for <paramref name="length"/>.</summary>
    private static async Task<long> PeakDbSizeAsync(EtcdTestCluster cluster, TimeSpan length)
    {
        var clients = cluster.Members.Select(cluster.ClientFor).ToList();
        var peak = 0L;
        var until = DateTimeOffset.UtcNow + length;
        while (DateTimeOffset.UtcNow < until)
        {
            foreach (var client in clients)
            {
                try
                {
                    peak = Math.Max(peak, (await client.StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2))).DbSize);
                }
                catch (Grpc.Core.RpcException)
                {
                    // A member busy defragmenting answers late; the next second reads it again.
                }
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        return peak;
    }

    public sealed record Outcome(string Name, long Refused, long Failed, TimeSpan SlowTime, TimeSpan Stall, TimeSpan Slowest, long PeakDbSize, int Defragmentations)
    {
        public override string ToString() =>
            $"{Name}: {Refused} refused, {Failed} failed, {SlowTime.TotalSeconds:0.0} s in slow puts, stall {Stall.TotalMilliseconds:0} ms, slowest {Slowest.TotalMilliseconds:0} ms, peak {PeakDbSize >> 20} MiB, {Defragmentations} defrags";
    }
}
