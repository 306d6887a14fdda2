using System.CommandLine;
using EtcdHygiene.Operator.Commands;

var root = new RootCommand("etcd-hygiene keeps etcd clusters used as service registries healthy: compaction, safe defragmentation, NOSPACE recovery.")
{
    RunCommand.Create(),
    CheckCommand.Create(),
    CrdCommand.Create(),
    OperatorCommand.Create(),
};
// Signals are handled by the commands themselves so that a stop never cuts a step in half.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
