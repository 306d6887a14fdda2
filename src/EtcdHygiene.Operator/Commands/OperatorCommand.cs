using System.CommandLine;
using EtcdHygiene.Operator.Controller;
using EtcdHygiene.Operator.Standalone;
using Prometheus;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Commands;

/// <summary><c>etcd-hygiene operator</c>: the Kubernetes controller for RegistryPolicies.</summary>
internal static class OperatorCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Path to a kubeconfig; default: in-cluster config, else $KUBECONFIG or ~/.kube/config." };
        var ns = new Option<string?>("--namespace") { Description = "Watch RegistryPolicies in this namespace only (default: all namespaces)." };
        var leaderElect = new Option<bool>("--leader-elect") { Description = "Act only while holding a Lease; required when running more than one replica." };
        var leaseNamespace = new Option<string?>("--leader-election-namespace") { Description = "Namespace of the Lease (default: the pod's namespace, else default)." };
        var leaseName = new Option<string>("--leader-election-id") { Description = "Name of the Lease.", DefaultValueFactory = _ => "etcd-hygiene-leader" };
        var metrics = new Option<string>("--metrics-bind-address") { Description = "host:port serving Prometheus /metrics; \"0\" disables.", DefaultValueFactory = _ => ":8080" };
        var health = new Option<string>("--health-probe-bind-address") { Description = "host:port serving /healthz and /readyz; \"0\" disables.", DefaultValueFactory = _ => ":8081" };
        var workers = new Option<int>("--workers") { Description = "Policies reconciled at the same time.", DefaultValueFactory = _ => 2 };
        var grace = new Option<string>("--shutdown-grace-period") { Description = "How long a stop waits for an in-flight step (e.g. a defragmentation) to finish.", DefaultValueFactory = _ => "5m" };
        var logFormat = CommonOptions.LogFormat();
        var command = new Command("operator", "Run the Kubernetes operator: reconcile RegistryPolicies, write their status and events.")
        {
            kubeconfig, ns, leaderElect, leaseNamespace, leaseName, metrics, health, workers, grace, logFormat,
        };
        command.SetAction(async (parse, _) =>
        {
            using var shutdown = new ShutdownSignal();
            using var logging = Logging.Create(parse.GetValue(logFormat)!);
            var logger = logging.CreateLogger("etcd-hygiene.operator");
            if (!Core.Policy.GoDuration.TryParse(parse.GetValue(grace), out var gracePeriod))
            {
                await Console.Error.WriteLineAsync($"--shutdown-grace-period takes a duration such as 5m (got {parse.GetValue(grace)})");
                return 1;
            }
            if (parse.GetValue(workers) < 1)
            {
                await Console.Error.WriteLineAsync("--workers must be at least 1");
                return 1;
            }
            KubernetesClientConfiguration config;
            try
            {
                config = parse.GetValue(kubeconfig) is { } path
                    ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path)
                    : KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig() : KubernetesClientConfiguration.BuildConfigFromConfigFile();
            }
            catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException)
            {
                await Console.Error.WriteLineAsync($"cannot load the Kubernetes configuration: {e.Message}");
                return 1;
            }
            using var client = new k8s.Kubernetes(config);
            var podNamespace = Environment.GetEnvironmentVariable("POD_NAMESPACE");
            var host = new OperatorHost(client, new OperatorOptions
            {
                Namespace = parse.GetValue(ns),
                LeaderElect = parse.GetValue(leaderElect),
                LeaseNamespace = parse.GetValue(leaseNamespace) ?? (string.IsNullOrEmpty(podNamespace) ? "default" : podNamespace),
                LeaseName = parse.GetValue(leaseName)!,
                Identity = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : $"{Environment.MachineName}-{Environment.ProcessId}",
                Workers = parse.GetValue(workers),
            }, TimeProvider.System, logging, new Metrics.HygieneMetrics());

            IAsyncDisposable probes, metricsEndpoint;
            try
            {
                probes = await StartProbesAsync(parse.GetValue(health)!, host);
                metricsEndpoint = await HttpEndpoints.StartAsync(parse.GetValue(metrics)!, app => app.MapMetrics());
            }
            catch (Exception e) when (e is ArgumentException or IOException or FormatException)
            {
                await Console.Error.WriteLineAsync($"cannot serve probes or metrics: {e.Message}");
                return 1;
            }
            await using var _probes = probes;
            await using var _metrics = metricsEndpoint;
            var run = host.RunAsync(shutdown.Token);
            await Task.WhenAny(run, Task.Delay(Timeout.Infinite, shutdown.Token).ContinueWith(_ => { }));
            if (!run.IsCompleted)
            {
                logger.LogInformation("Stopping: no new step starts; waiting up to {Grace} for the one in flight", parse.GetValue(grace));
                if (await Task.WhenAny(run, Task.Delay(gracePeriod)) != run)
                {
                    logger.LogWarning("A step was still running after the grace period; exiting anyway");
                    return 1;
                }
            }
            return await run;
        });
        return command;
    }

    /// <summary>/healthz answers while the process runs; /readyz once the controller (if leading) has synced. Neither depends on leadership.</summary>
    private static Task<IAsyncDisposable> StartProbesAsync(string address, OperatorHost host) =>
        HttpEndpoints.StartAsync(address, app =>
        {
            app.MapGet("/healthz", () => Results.Text("ok"));
            app.MapGet("/readyz", () => !host.IsLeading || host.HasSynced ? Results.Text("ok") : Results.Text("informer not synced", statusCode: 503));
        });
}
