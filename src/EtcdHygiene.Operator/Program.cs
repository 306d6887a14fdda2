using System.CommandLine;
using EtcdHygiene.Operator.Commands;

// Keep the process metrics; drop the .NET event-counter and meter adapters, whose names break
// Prometheus conventions (promtool check metrics flags them) and which nobody alerts on.
Prometheus.Metrics.SuppressDefaultMetrics(new Prometheus.SuppressDefaultMetricOptions
{
    SuppressProcessMetrics = false,
    SuppressDebugMetrics = true,
    SuppressEventCounters = true,
    SuppressMeters = true,
});

var root = new RootCommand("etcd-hygiene keeps etcd clusters used as service registries healthy: compaction, safe defragmentation, NOSPACE recovery.")
{
    RunCommand.Create(),
    CheckCommand.Create(),
    AnalyzeCommand.Create(),
    CrdCommand.Create(),
    OperatorCommand.Create(),
};
// run and operator stop through their generic host (a stop never cuts a step in half); the parser must not also handle signals.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
