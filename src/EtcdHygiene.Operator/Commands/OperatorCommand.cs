using System.CommandLine;
using EtcdHygiene.Operator.Controller;
using EtcdHygiene.Operator.Hosting;
using k8s;
using Microsoft.Extensions.DependencyInjection;

namespace EtcdHygiene.Operator.Commands;

/// <summary><c>etcd-hygiene operator</c>: the Kubernetes controller for RegistryPolicies, a generic-host application.</summary>
internal static class OperatorCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Path to a kubeconfig; default: in-cluster config, else $KUBECONFIG or ~/.kube/config." };
        var ns = new Option<string?>("--namespace") { Description = "Watch RegistryPolicies in this namespace only (default: all namespaces)." };
        var leaderElect = new Option<bool>("--leader-elect") { Description = "Act only while holding a Lease; required when running more than one replica." };
        var leaseNamespace = new Option<string?>("--leader-election-namespace") { Description = "Namespace of the Lease (default: the pod's namespace, else default)." };
        var leaseName = new Option<string>("--leader-election-id") { Description = "Name of the Lease.", DefaultValueFactory = _ => "etcd-hygiene-leader" };
        var workers = new Option<int>("--workers") { Description = "Policies reconciled at the same time.", DefaultValueFactory = _ => 2 };
        var host = new HostOptionsBinder(defaultMetrics: ":8080", defaultProbes: ":8081");
        var command = new Command("operator", "Run the Kubernetes operator: reconcile RegistryPolicies, write their status and events.")
        {
            kubeconfig, ns, leaderElect, leaseNamespace, leaseName, workers,
        };
        host.AddTo(command);
        command.SetAction(async (parse, _) =>
        {
            HostSettings settings;
            KubernetesClientConfiguration config;
            try
            {
                settings = host.Bind(parse);
                if (parse.GetValue(workers) < 1)
                {
                    throw new ArgumentException("--workers must be at least 1");
                }
                config = LoadConfiguration(parse.GetValue(kubeconfig));
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }
            var podNamespace = Environment.GetEnvironmentVariable("POD_NAMESPACE");
            var builder = HygieneHost.CreateBuilder(settings);
            builder.Services.AddSingleton<IKubernetes>(_ => new k8s.Kubernetes(config));
            builder.Services.AddSingleton(new OperatorOptions
            {
                Namespace = parse.GetValue(ns),
                LeaderElect = parse.GetValue(leaderElect),
                LeaseNamespace = parse.GetValue(leaseNamespace) ?? (string.IsNullOrEmpty(podNamespace) ? "default" : podNamespace),
                LeaseName = parse.GetValue(leaseName)!,
                Identity = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : $"{Environment.MachineName}-{Environment.ProcessId}",
                Workers = parse.GetValue(workers),
            });
            builder.Services.AddSingleton<ElectedController>();
            builder.Services.AddHostedService<OperatorWorker>();
            HygieneHost.AddReadinessCheck<ControllerReadinessCheck>(builder, settings, "controller");
            return await HygieneHost.RunAsync(builder, settings);
        });
        return command;
    }

    /// <summary>The kubeconfig named, else the in-cluster configuration, else the default kubeconfig.</summary>
    private static KubernetesClientConfiguration LoadConfiguration(string? path)
    {
        try
        {
            return path is not null ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path)
                : KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile();
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException)
        {
            throw new ArgumentException($"cannot load the Kubernetes configuration: {e.Message}");
        }
    }
}
