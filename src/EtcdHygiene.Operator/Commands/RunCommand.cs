using System.CommandLine;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Operator.Standalone;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Commands;

/// <summary>
/// <c>etcd-hygiene run</c>: keep the clusters of the given policy files healthy without Kubernetes,
/// until stopped; with <c>--once</c>, one cycle per policy, exit 0 when every cycle succeeded.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var policies = CommonOptions.Policies();
        var stateDir = CommonOptions.StateDirectory();
        var logFormat = CommonOptions.LogFormat();
        var once = new Option<bool>("--once") { Description = "Run one cycle per policy and exit: 0 when all succeeded, 1 otherwise (for cron jobs)." };
        var command = new Command("run", "Keep etcd clusters healthy as their RegistryPolicy files say, without Kubernetes.")
        {
            policies, stateDir, once, logFormat,
        };
        command.SetAction(async (parse, _) =>
        {
            using var shutdown = new ShutdownSignal();
            using var logging = Logging.Create(parse.GetValue(logFormat)!);
            IReadOnlyList<PolicySource> sources;
            try
            {
                sources = PolicySource.LoadAll(parse.GetValue(policies)!);
                foreach (var source in sources)
                {
                    StandaloneConnection.OptionsFor(source.Policy, source.Path);
                }
            }
            catch (PolicyFileException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }
            var runner = new StandaloneRunner(new StateStore(parse.GetValue(stateDir)!), TimeProvider.System, logging);
            try
            {
                var ok = await runner.RunAsync(sources, parse.GetValue(once), shutdown.Token);
                return ok ? 0 : 1;
            }
            catch (StateFileException e)
            {
                logging.CreateLogger("etcd-hygiene").LogError("{Error}", e.Message);
                return 1;
            }
        });
        return command;
    }
}
