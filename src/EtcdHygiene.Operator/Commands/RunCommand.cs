using System.CommandLine;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Operator.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Prometheus;
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
        var secretsDir = CommonOptions.SecretsDirectory();
        var logFormat = CommonOptions.LogFormat();
        var metricsAddress = new Option<string>("--metrics-bind-address") { Description = "host:port serving Prometheus /metrics; \"0\" (the default) disables.", DefaultValueFactory = _ => "0" };
        var healthAddress = new Option<string>("--health-probe-bind-address") { Description = "host:port serving /healthz and /readyz; \"0\" (the default) disables.", DefaultValueFactory = _ => "0" };
        var once = new Option<bool>("--once") { Description = "Run one cycle per policy and exit: 0 when all succeeded, 1 otherwise (for cron jobs)." };
        var command = new Command("run", "Keep etcd clusters healthy as their RegistryPolicy files say, without Kubernetes.")
        {
            policies, stateDir, secretsDir, once, logFormat, metricsAddress, healthAddress,
        };
        command.SetAction(async (parse, _) =>
        {
            using var shutdown = new ShutdownSignal();
            using var logging = Logging.Create(parse.GetValue(logFormat)!);
            IReadOnlyList<PolicySource> sources;
            try
            {
                sources = PolicySource.LoadAll(parse.GetValue(policies)!, parse.GetValue(secretsDir));
            }
            catch (PolicyFileException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }
            var runner = new StandaloneRunner(new StateStore(parse.GetValue(stateDir)!), TimeProvider.System, logging, new HygieneMetrics());
            IAsyncDisposable metricsEndpoint, probes;
            try
            {
                metricsEndpoint = await HttpEndpoints.StartAsync(parse.GetValue(metricsAddress)!, app => app.MapMetrics());
                probes = await HttpEndpoints.StartAsync(parse.GetValue(healthAddress)!, app =>
                {
                    app.MapGet("/healthz", () => Results.Text("ok"));
                    app.MapGet("/readyz", () => runner.Ready ? Results.Text("ok") : Results.Text("first cycle not finished", statusCode: 503));
                });
            }
            catch (Exception e) when (e is ArgumentException or IOException or FormatException)
            {
                await Console.Error.WriteLineAsync($"cannot serve metrics or probes: {e.Message}");
                return 1;
            }
            await using var _metrics = metricsEndpoint;
            await using var _probes = probes;
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
