using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using dotnet_etcd;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Testing.Workloads;

// The registry workload simulator: a go-micro-like registry re-registering services on an
// interval, with the shares of identical, reorder-only and changing writes you choose.
var endpoints = new Option<string>("--endpoints") { Description = "Comma-separated etcd client URLs.", Required = true };
var services = new Option<int>("--services") { Description = "Distinct services.", DefaultValueFactory = _ => 20 };
var nodes = new Option<int>("--nodes") { Description = "Nodes per service (one key each).", DefaultValueFactory = _ => 3 };
var interval = new Option<string>("--interval") { Description = "Re-registration interval of each node, e.g. 1s or 500ms.", DefaultValueFactory = _ => "1s" };
var identical = new Option<double>("--identical-share") { Description = "Share of nodes writing identical bytes.", DefaultValueFactory = _ => 0.2 };
var reorder = new Option<double>("--reorder-share") { Description = "Share of nodes reordering a JSON array (the incident).", DefaultValueFactory = _ => 0.6 };
var writers = new Option<int>("--writers") { Description = "Concurrent writers.", DefaultValueFactory = _ => 4 };
var duration = new Option<string?>("--duration") { Description = "Stop after this long (default: until Ctrl-C or SIGTERM)." };
var every = new Option<string>("--report-every") { Description = "How often to print a progress line.", DefaultValueFactory = _ => "5s" };

var root = new RootCommand("Simulates a service registry writing to etcd the way the incident's go-micro registry did.")
{
    endpoints, services, nodes, interval, identical, reorder, writers, duration, every,
};
root.SetAction(async parse =>
{
    if (!GoDuration.TryParse(parse.GetValue(interval), out var period) || period <= TimeSpan.Zero
        || !GoDuration.TryParse(parse.GetValue(every), out var reportEvery) || reportEvery <= TimeSpan.Zero)
    {
        await Console.Error.WriteLineAsync("--interval and --report-every take durations such as 500ms, 1s or 1m");
        return 1;
    }
    TimeSpan? stopAfter = null;
    if (parse.GetValue(duration) is { } text)
    {
        if (!GoDuration.TryParse(text, out var d))
        {
            await Console.Error.WriteLineAsync($"--duration takes a duration such as 30s (got {text})");
            return 1;
        }
        stopAfter = d;
    }
    var options = new RegistryWorkloadOptions
    {
        Services = parse.GetValue(services),
        NodesPerService = parse.GetValue(nodes),
        ReRegisterInterval = period,
        IdenticalShare = parse.GetValue(identical),
        ReorderShare = parse.GetValue(reorder),
        Writers = parse.GetValue(writers),
    };
    if (options.Services < 1 || options.NodesPerService < 1 || options.Writers < 1
        || options.IdenticalShare < 0 || options.ReorderShare < 0 || options.IdenticalShare + options.ReorderShare > 1)
    {
        await Console.Error.WriteLineAsync("--services, --nodes and --writers must be at least 1; the shares must be between 0 and 1 and add up to at most 1");
        return 1;
    }

    using var stop = stopAfter is { } after ? new CancellationTokenSource(after) : new CancellationTokenSource();
    using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
    using var client = new EtcdClient(parse.GetValue(endpoints)!);
    var workload = new RegistryWorkload(client, options);
    var nodesCount = options.Services * options.NodesPerService;
    Console.WriteLine($"registry: {nodesCount} nodes re-registering every {GoDuration.Format(period)} " +
        $"({nodesCount / period.TotalSeconds:0} writes/s; {options.IdenticalShare:P0} identical, {options.ReorderShare:P0} reorder-only)");

    var clock = Stopwatch.StartNew();
    var run = workload.RunAsync(stop.Token);
    while (!run.IsCompleted)
    {
        await Task.WhenAny(run, Task.Delay(reportEvery));
        var s = workload.Stats;
        Console.WriteLine($"registry: t={clock.Elapsed.TotalSeconds:0}s accepted={s.Written} refused(NOSPACE)={s.RefusedNoSpace} failed={s.Failed} history written={Quantity.FormatBytes(s.BytesWritten)}");
    }
    await run;
    return 0;
});
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
