using System.CommandLine;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Core.Tenancy;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Controller;
using EtcdHygiene.Operator.Controller.Leadership;
using EtcdHygiene.Operator.Controller.Tenancy;
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
        var tenancy = new Option<string?>("--tenancy-config")
        {
            Description = "YAML file of the rules saying which etcd endpoints policies of which namespaces may name, the shortest retention and whether analysis may read keys. Without it every policy is refused.",
        };
        var leaseDuration = new Option<string>("--leader-election-lease-duration")
        {
            Description = "How long a Lease holds without renewal; a standby takes over this long after the leader stopped renewing.",
            DefaultValueFactory = _ => GoDuration.Format(new OperatorOptions().LeaseDuration),
        };
        var renewDeadline = new Option<string>("--leader-election-renew-deadline")
        {
            Description = "How long the leader keeps trying to renew before it stops acting and exits; less than the lease duration.",
            DefaultValueFactory = _ => GoDuration.Format(new OperatorOptions().RenewDeadline),
        };
        var retryPeriod = new Option<string>("--leader-election-retry-period")
        {
            Description = "How often the Lease is renewed or, by a standby, tried.",
            DefaultValueFactory = _ => GoDuration.Format(new OperatorOptions().RetryPeriod),
        };
        var qps = new Option<double>("--kube-api-qps")
        {
            Description = "Requests a second to the API server on average (client-side rate limit; the Lease has its own client).",
            DefaultValueFactory = _ => 20,
        };
        var burst = new Option<int>("--kube-api-burst") { Description = "Requests to the API server at once before --kube-api-qps applies.", DefaultValueFactory = _ => 40 };
        var workers = new Option<int>("--workers") { Description = "Policies reconciled at the same time.", DefaultValueFactory = _ => 2 };
        var host = new HostOptionsBinder(defaultMetrics: ":8080", defaultProbes: ":8081");
        var command = new Command("operator", "Run the Kubernetes operator: reconcile RegistryPolicies, write their status and events.")
        {
            kubeconfig, ns, leaderElect, leaseNamespace, leaseName, leaseDuration, renewDeadline, retryPeriod, qps, burst, workers, tenancy,
        };
        host.AddTo(command);
        command.SetAction(async (parse, _) =>
        {
            HostSettings settings;
            KubernetesClientConfiguration config;
            TenancyRules rules;
            LeaseTimings lease;
            ClientRateLimit limit;
            try
            {
                settings = host.Bind(parse);
                if (parse.GetValue(workers) < 1)
                {
                    throw new ArgumentException("--workers must be at least 1");
                }
                config = LoadConfiguration(parse.GetValue(kubeconfig));
                limit = new ClientRateLimit(parse.GetValue(qps), parse.GetValue(burst));
                lease = LeaseTimings.Parse(parse.GetValue(leaseDuration)!, parse.GetValue(renewDeadline)!, parse.GetValue(retryPeriod)!);
                rules = parse.GetValue(tenancy) is { } tenancyPath ? TenancyFile.Load(tenancyPath) : TenancyRules.None;
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }
            var podNamespace = Environment.GetEnvironmentVariable("POD_NAMESPACE");
            var builder = HygieneHost.CreateBuilder(settings);
            builder.Services.AddSingleton<KubernetesApi>(_ => KubernetesApi.Create(config, limit));
            builder.Services.AddSingleton(new OperatorOptions
            {
                Namespace = parse.GetValue(ns),
                LeaderElect = parse.GetValue(leaderElect),
                LeaseNamespace = parse.GetValue(leaseNamespace) ?? (string.IsNullOrEmpty(podNamespace) ? "default" : podNamespace),
                LeaseName = parse.GetValue(leaseName)!,
                LeaseDuration = lease.Duration,
                RenewDeadline = lease.RenewDeadline,
                RetryPeriod = lease.RetryPeriod,
                Identity = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : $"{Environment.MachineName}-{Environment.ProcessId}",
                Workers = parse.GetValue(workers),
                Tenancy = rules,
            });
            // The Lease gets a client of its own: renewals never queue behind a thousand status writes.
            builder.Services.AddSingleton(services => ActivatorUtilities.CreateInstance<ElectedController>(services, new LeaseClient(KubernetesApi.Create(config))));
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
