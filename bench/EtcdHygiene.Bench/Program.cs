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
        await MaintenanceBenchmark.RunAsync();
        return 0;
    case "footprint":
        await FootprintBenchmark.RunAsync();
        return 0;
    case "transfers":
        await LeaderTransferBenchmark.RunAsync(int.TryParse(args.ElementAtOrDefault(1), out var transfers) ? transfers : 50);
        return 0;
    default:
        Console.Error.WriteLine($"unknown scenario '{scenario}' (known: all, analyzer, nospace, maintenance, footprint, transfers [N])");
        return 2;
}

static async Task AllAsync(string output)
{
    var started = DateTimeOffset.UtcNow;
    var machine = await MachineDescription.DescribeAsync();
    Console.WriteLine(machine);
    var sections = new List<Report>
    {
        await NoSpaceRecoveryBenchmark.RunAsync(),
        await MaintenanceBenchmark.RunAsync(),
        await FootprintBenchmark.RunAsync(),
        AnalyzerBenchmark.Run(),
    };
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    await File.WriteAllTextAsync(output,
        $"""
        # etcd-hygiene benchmarks

        Written by `scripts/bench.sh` on {started:yyyy-MM-dd HH:mm} UTC in {(DateTimeOffset.UtcNow - started).TotalMinutes:0.0} min.
        Machine: {machine}.
        Every ratio compares with a baseline measured in the same run; the machine is shared and noisy, so read ratios, not absolute figures.


        """ + string.Join(Environment.NewLine, sections));
    Console.WriteLine($"wrote {output}");
}
