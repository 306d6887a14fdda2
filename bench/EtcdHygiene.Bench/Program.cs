using EtcdHygiene.Bench;

// Benchmarks print numbers; they never assert. Scenarios: analyzer.
var scenario = args.FirstOrDefault() ?? "analyzer";
switch (scenario)
{
    case "analyzer":
        AnalyzerBenchmark.Run(Console.Out);
        return 0;
    case "analyzer-memory":
        AnalyzerBenchmark.RunMemory(Console.Out);
        return 0;
    default:
        Console.Error.WriteLine($"unknown scenario '{scenario}' (known: analyzer)");
        return 2;
}
