using EtcdHygiene.Bench;

// Benchmarks print numbers; they never assert. "all" runs every scenario and writes
// bench/results/latest.md (or the file after --output).
var scenario = args.FirstOrDefault() ?? "all";
switch (scenario)
{
    case "all":
        var output = args.SkipWhile(a => a != "--output").Skip(1).FirstOrDefault() ?? Path.Combine("bench", "results", "latest.md");
        await AllAsync(output);
        return 0;
    case "analyzer":
        AnalyzerBenchmark.Run();
        return 0;
    case "analyzer-memory":
        AnalyzerBenchmark.RunMemory(Console.Out);
        return 0;
    case "nospace":
        await NoSpaceRecoveryBenchmark.RunAsync();
        return 0;
    case "maintenance":
        await MaintenanceBenchmark.RunAsync(args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToList() : MaintenanceBenchmark.DefaultSizes);
        return 0;
    case "footprint":
        await FootprintBenchmark.RunAsync();
        return 0;
    case "transfers":
        await LeaderTransferBenchmark.RunAsync(int.TryParse(args.ElementAtOrDefault(1), out var transfers) ? transfers : LeaderTransferBenchmark.DefaultTransfers);
        return 0;
    case "churn-day":
        await ChurnDayBenchmark.RunAsync();
        return 0;
    case "two-actors":
        var twoActors = await TwoActorsBenchmark.RunAsync();
        await File.WriteAllTextAsync(Path.Combine("bench", "results", "two-actors.md"), $"# etcd-hygiene: two policies for one cluster{Environment.NewLine}{Environment.NewLine}{twoActors}");
        return 0;
    case "emergency":
        var (emergencyReport, emergencyKeys) = await EmergencyBenchmark.RunAsync();
        await File.WriteAllTextAsync(Path.Combine("bench", "results", "emergency.md"), $"# etcd-hygiene: emergency under load{Environment.NewLine}{Environment.NewLine}{emergencyReport}");
        await ResultKeys.WriteAsync(emergencyKeys);
        return 0;
    case "startup":
        var (startupReport, startupKeys) = await StartupBenchmark.RunAsync();
        await File.WriteAllTextAsync(Path.Combine("bench", "results", "startup.md"), $"# etcd-hygiene: start-up and footprint{Environment.NewLine}{Environment.NewLine}{startupReport}");
        await ResultKeys.WriteAsync(startupKeys);
        return 0;
    case "events":
        var (eventsReport, eventKeys) = await EventsBenchmark.RunAsync();
        await File.WriteAllTextAsync(Path.Combine("bench", "results", "events.md"), $"# etcd-hygiene: events{Environment.NewLine}{Environment.NewLine}{eventsReport}");
        await ResultKeys.WriteAsync(eventKeys);
        return 0;
    default:
        Console.Error.WriteLine($"unknown scenario '{scenario}' (known: all, analyzer, nospace, maintenance [MiB,MiB,…], footprint, transfers [N], churn-day, emergency, two-actors, events, startup)");
        return 2;
}

static async Task AllAsync(string output)
{
    var started = DateTimeOffset.UtcNow;
    var machine = await MachineDescription.DescribeAsync();
    Console.WriteLine(machine);
    var nospace = await NoSpaceRecoveryBenchmark.RunAsync();
    var (maintenance, sizes) = await MaintenanceBenchmark.RunAsync(MaintenanceBenchmark.DefaultSizes);
    var (footprint, rows) = await FootprintBenchmark.RunAsync();
    var transfers = await LeaderTransferBenchmark.RunAsync(LeaderTransferBenchmark.DefaultTransfers);
    var (churnDay, _) = await ChurnDayBenchmark.RunAsync();
    var (emergency, keys) = await EmergencyBenchmark.RunAsync();
    var twoActors = await TwoActorsBenchmark.RunAsync();
    var (events, eventKeys) = await EventsBenchmark.RunAsync();
    var (startup, startupKeys) = await StartupBenchmark.RunAsync();
    foreach (var (key, value) in eventKeys.Concat(startupKeys))
    {
        keys[key] = value;
    }
    var sections = new List<Report> { nospace, maintenance, footprint, transfers, churnDay, AnalyzerBenchmark.Run(), emergency, twoActors, events, startup };
    var folder = Path.GetDirectoryName(Path.GetFullPath(output))!;
    var prefix = Path.GetFileNameWithoutExtension(output);
    Directory.CreateDirectory(folder);
    var charts = new Report("Charts");
    foreach (var chart in Charts.MaintenanceBySize(folder, prefix, sizes).Concat(Charts.FootprintByPolicies(folder, prefix, rows)))
    {
        charts.Line($"![{Path.GetFileNameWithoutExtension(chart)}]({chart})").Line("");
    }
    sections.Add(charts);
    await File.WriteAllTextAsync(output,
        $"""
        # etcd-hygiene benchmarks

        Written by `scripts/bench.sh` on {started:yyyy-MM-dd HH:mm} UTC in {(DateTimeOffset.UtcNow - started).TotalMinutes:0.0} min.
        Machine: {machine}.
        Every ratio compares with a baseline measured in the same run; the machine is shared and noisy, so read ratios, not absolute figures.


        """ + string.Join(Environment.NewLine, sections));
    Console.WriteLine($"wrote {output}");
    await ResultKeys.WriteAsync(keys, Path.Combine(folder, prefix + ".json"));
}
