using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Bench;

/// <summary>
/// Scenario 8: two policies for one etcd cluster, as the issue that made the cluster the unit of
/// safety measured it: a 3-member cluster with about 440 MiB to reclaim, compacted beforehand so
/// that both go straight to defragmentation, at the defaults; two policies (spelled differently)
/// in one <c>run --once</c>, then one policy each in two <c>run --once</c> processes started
/// together. etcd's own logs count the defragmentations, those that overlapped, and the pauses
/// shorter than the default 10 s. With ETCD_HYGIENE_BASELINE_DLL set to an earlier build's
/// etcd-hygiene.dll, the same is measured with it, in the same run.
/// </summary>
internal static class TwoActorsBenchmark
{
    private static readonly TimeSpan DefaultPause = TimeSpan.FromSeconds(10);

    public static async Task<Report> RunAsync()
    {
        var report = new Report("8. Two policies for one etcd cluster");
        var baseline = Environment.GetEnvironmentVariable("ETCD_HYGIENE_BASELINE_DLL") is { Length: > 0 } dll ? dll : null;
        var rows = new List<string[]>();
        foreach (var (name, build) in new[] { ("this build", (string?)null), ("baseline build", baseline) }.Where(b => b.Item1 == "this build" || b.Item2 is not null))
        {
            rows.Add(Row($"two policies in one `run --once` ({name})", await MeasureAsync(build, oneProcess: true)));
            rows.Add(Row($"two `run --once` processes ({name})", await MeasureAsync(build, oneProcess: false)));
        }
        report.Line("A 3-member cluster, 300 MiB of values written twice and compacted (the file and what it gives back below: a defragmentation copies the 450 MiB in use), both policies at the defaults; " +
            "3 defragmentations are needed, one member at a time, 10 s apart.");
        report.Line("");
        report.Table(["", "file, reclaimable", "defragmentations (etcd's logs)", "overlapping", "pauses shorter than 10 s", "wall time"], rows);
        return report;
    }

    private static string[] Row(string name, Outcome o) =>
        [name, $"{Report.Mib(o.File)}, {Report.Mib(o.Reclaimable)}", o.Defragmentations.ToString(), o.Overlaps.ToString(), o.ShortPauses.ToString(), Report.Seconds(o.Took)];

    private sealed record Outcome(long File, long Reclaimable, int Defragmentations, int Overlaps, int ShortPauses, TimeSpan Took);

    private static async Task<Outcome> MeasureAsync(string? dll, bool oneProcess)
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        var client = cluster.CreateClient();
        await EtcdData.FillAndCompactAsync(client, 300, writes: 2);
        await EtcdData.AddLiveDataAsync(client, 1, "/after-compaction/");
        var status = await client.StatusAsync(new Etcdserverpb.StatusRequest());
        using var first = new PolicyFolder();
        using var second = new PolicyFolder();
        var platform = first.WriteDefaults("platform", cluster.ClientUrls);
        var application = second.WriteDefaults("application", [cluster.ClientUrls[1]]);
        var started = DateTime.UtcNow;
        if (oneProcess)
        {
            await RunAsync(dll, ["run", "--once", "--policy", platform, "--policy", application, "--state-dir", first.StateDirectory]);
        }
        else
        {
            await Task.WhenAll(RunAsync(dll, ["run", "--once", "--policy", platform, "--state-dir", first.StateDirectory]),
                RunAsync(dll, ["run", "--once", "--policy", application, "--state-dir", second.StateDirectory]));
        }
        var took = DateTime.UtcNow - started;
        var audit = new MaintenanceAudit(cluster);
        var outcome = new Outcome(status.DbSize, status.DbSize - status.DbSizeInUse, audit.Defragmentations.Count, audit.Overlaps().Count,
            audit.ShortPauses(DefaultPause, _ => false).Count, took);
        Console.WriteLine($"  {(dll is null ? "this build" : "baseline")}, {(oneProcess ? "one process" : "two processes")}: {outcome}");
        return outcome;
    }

    private static async Task RunAsync(string? dll, string[] arguments)
    {
        await using var process = CliProcess.Start(arguments, null, dll);
        await process.WaitForExitAsync(TimeSpan.FromMinutes(10));
    }
}
