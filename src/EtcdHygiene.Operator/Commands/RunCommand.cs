using System.CommandLine;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Hosting;
using EtcdHygiene.Operator.Standalone;
using EtcdHygiene.Operator.Supervision.Lanes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Commands;

/// <summary>
/// <c>etcd-hygiene run</c>: keep the clusters of the given policy files healthy without Kubernetes,
/// until stopped; with <c>--once</c>, one cycle per policy, exit 0 when every cycle succeeded.
/// A generic-host application, so that it also runs as a systemd <c>Type=notify</c> service.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var policies = CommonOptions.Policies();
        var stateDir = CommonOptions.StateDirectory();
        var secretsDir = CommonOptions.SecretsDirectory();
        var host = new HostOptionsBinder(defaultMetrics: "0", defaultProbes: "0");
        var once = new Option<bool>("--once") { Description = "Run one cycle per policy and exit: 0 when all succeeded, 1 otherwise (for cron jobs)." };
        var command = new Command("run", "Keep etcd clusters healthy as their RegistryPolicy files say, without Kubernetes.")
        {
            policies, stateDir, secretsDir, once,
        };
        host.AddTo(command);
        command.SetAction(async (parse, _) =>
        {
            IReadOnlyList<PolicySource> sources;
            HostSettings settings;
            try
            {
                settings = host.Bind(parse);
                sources = PolicySource.LoadAll(parse.GetValue(policies)!, parse.GetValue(secretsDir));
            }
            catch (Exception e) when (e is PolicyFileException or ArgumentException)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }
            var builder = HygieneHost.CreateBuilder(settings);
            builder.Services.AddSingleton(new RunSettings(sources, parse.GetValue(stateDir)!, parse.GetValue(once)));
            builder.Services.AddSingleton(s => new ClusterLanes(s.GetRequiredService<EtcdClientPool>(), s.GetRequiredService<TimeProvider>(),
                s.GetRequiredService<ILoggerFactory>(), ClusterLanes.IdentityOf("run")));
            builder.Services.AddSingleton<StandaloneWorker>();
            builder.Services.AddHostedService(s => s.GetRequiredService<StandaloneWorker>());
            HygieneHost.AddReadinessCheck<FirstCycleCheck>(builder, settings, "first-cycle");
            return await HygieneHost.RunAsync(builder, settings);
        });
        return command;
    }
}
