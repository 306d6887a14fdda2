using System.Diagnostics;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using Etcdserverpb;

namespace EtcdHygiene.Bench;

/// <summary>
/// Scenario 3: what one <c>etcd-hygiene run</c> process costs with 1, 100 and 1,000 policies: many
/// policies over a few local clusters (the cost is per policy, whichever cluster it names), at the
/// defaults (a cycle every 5 minutes, the watch reading every member's Status every 2 s between
/// cycles), which is what idle means for a user. RSS and CPU come from /proc, CPU over a measured
/// stretch after a warm-up. Then, while every other policy is watched, a NOSPACE alarm is raised on
/// one more cluster with etcd's Alarm RPC, and the time to etcd-hygiene's first recovery step is
/// measured: more policies must not slow the reaction.
/// </summary>
internal static class FootprintBenchmark
{
    private const int Clusters = 4;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Measured = TimeSpan.FromSeconds(25);

    public static async Task<(Report Report, IReadOnlyList<Row> Rows)> RunAsync()
    {
        var report = new Report("3. Footprint of `etcd-hygiene run`, by number of policies");
        var clusters = new List<EtcdTestCluster>();
        var rows = new List<Row>();
        try
        {
            for (var i = 0; i < Clusters; i++)
            {
                clusters.Add(await EtcdTestCluster.StartAsync(new() { Members = 1 }));
            }
            // The executable users get (Native AOT, ETCD_HYGIENE_BINARY), with no environment variable set.
            rows.Add(await MeasureAsync(clusters, 1, null, Defaults, "1, defaults"));
            rows.Add(await MeasureAsync(clusters, 100, null, Defaults, "100, defaults"));
            rows.Add(await MeasureAsync(clusters, 1000, null, Defaults, "1000, defaults"));
            rows.Add(await MeasureAsync(clusters, 100, null, EveryTenSeconds, "100, every policy cycling every 10 s besides the watch", nospace: false));
        }
        finally
        {
            foreach (var cluster in clusters)
            {
                await cluster.DisposeAsync();
            }
        }
        var one = rows[0];
        report.Line($"Policies over {Clusters} single-member clusters; {WarmUp.TotalSeconds:0} s warm-up, then CPU over {Measured.TotalSeconds:0} s. " +
            "At the defaults a policy is observed in full every 5 minutes and watched (one Status per member) every 2 s. " +
            "The Native AOT executable users get, no environment variable set. " +
            "NOSPACE reaction: one of the policies names a 3-member cluster on which, with all the others watched, etcd's Alarm RPC raises NOSPACE; the time until etcd-hygiene logs its first recovery step.");
        report.Line("");
        report.Table(["policies", "RSS", "peak RSS", "CPU (one core)", "vs 1 policy (RSS, CPU)", "NOSPACE alarm → first recovery step", "target"],
            rows.Select(r => new[]
            {
                r.Name, Report.Mib(r.Rss), Report.Mib(r.PeakRss), $"{r.Cpu:P2}", $"{Report.Ratio((double)r.Rss / one.Rss)}, {Report.Ratio(r.Cpu / Math.Max(one.Cpu, 1e-6))}",
                r.NoSpaceReaction is { } reaction ? Report.Seconds(reaction) : "—", Target(r),
            }));
        return (report, rows);
    }

    private static string Target(Row row) => row.Spec != Defaults ? "(heavier than idle: no target)" : row.Policies switch
    {
        // Issue 30's RSS targets for the Native AOT executable; the CPU ones stand from before.
        1 => $"≤ 30 MiB ({Met(row.Rss <= 30L << 20)})",
        100 => $"≤ 60 MiB ({Met(row.Rss <= 60L << 20)}), ≤ 5% CPU ({Met(row.Cpu <= 0.05)})",
        1000 => $"≤ 100 MiB ({Met(row.Rss <= 100L << 20)}), ≤ 25% CPU ({Met(row.Cpu <= 0.25)})",
        _ => "",
    };

    private static string Met(bool met) => met ? "met" : "MISSED";

    private const string Defaults = "";
    private const string EveryTenSeconds = "  compaction: { interval: 10s }";

    private static async Task<Row> MeasureAsync(IReadOnlyList<EtcdTestCluster> clusters, int policies, IReadOnlyDictionary<string, string>? environment, string spec, string name, bool nospace = true)
    {
        using var folder = new PolicyFolder();
        // With the NOSPACE reaction measured, the alarmed cluster's policy is one of the count.
        var idle = nospace ? policies - 1 : policies;
        var files = Enumerable.Range(0, idle).Select(i => folder.WriteDefaults($"p{i:0000}", clusters[i % clusters.Count].ClientUrls, spec)).ToList();
        await using var alarmed = nospace ? await EtcdTestCluster.StartAsync(new() { Members = 3 }) : null;
        if (alarmed is not null)
        {
            files.Add(folder.WriteDefaults("alarmed", alarmed.ClientUrls));
        }
        var firstStep = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var run = CliProcess.Start(["run", "--state-dir", folder.StateDirectory, .. files.SelectMany(f => new[] { "--policy", f })], environment);
        run.LineWritten += line =>
        {
            if (line.Contains("Policy default/alarmed: ", StringComparison.Ordinal) && (line.Contains(": Compact to revision ") || line.Contains(": Disarm NOSPACE") || line.Contains(": Defragment ")))
            {
                firstStep.TrySetResult(DateTimeOffset.UtcNow);
            }
        };
        await Task.Delay(WarmUp);
        var before = CpuTicks(run.Id);
        await Task.Delay(Measured);
        var cpu = (CpuTicks(run.Id) - before) / 100.0 / Measured.TotalSeconds; // USER_HZ is 100 on Linux
        var (rss, peak) = Memory(run.Id);
        TimeSpan? reaction = null;
        if (alarmed is not null)
        {
            var client = alarmed.ClientFor(alarmed.Members[1]);
            var member = (await client.StatusAsync(new StatusRequest())).Header.MemberId;
            var raised = DateTimeOffset.UtcNow;
            await client.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = member, Alarm = AlarmType.Nospace });
            reaction = await firstStep.Task.WaitAsync(TimeSpan.FromMinutes(1)) - raised;
        }
        if (run.Errors.Contains("cycle failed") || run.Output.Contains("cycle failed"))
        {
            throw new InvalidOperationException("a cycle failed during the footprint run");
        }
        run.Terminate();
        await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var row = new Row(name, policies, spec, rss, peak, cpu, reaction);
        Console.WriteLine($"  {row}");
        return row;
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

    public sealed record Row(string Name, int Policies, string Spec, long Rss, long PeakRss, double Cpu, TimeSpan? NoSpaceReaction)
    {
        public override string ToString() =>
            $"{Name}: RSS {Report.Mib(Rss)}, peak {Report.Mib(PeakRss)}, CPU {Cpu:P2}{(NoSpaceReaction is { } r ? $", NOSPACE reaction {r.TotalSeconds:0.00} s" : "")}";
    }
}
