using EtcdHygiene.Core.Api;
using EtcdHygiene.Etcd;
using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Kubernetes.Resources;
using EtcdHygiene.Kubernetes.Runtime;
using k8s;
using Microsoft.Extensions.Logging;

using EtcdHygiene.Operator.Controller.Leadership;
using EtcdHygiene.Operator.Supervision;
using EtcdHygiene.Operator.Supervision.Lanes;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// The controller under leader election: the controller runs only while this replica holds
/// the Lease. Losing it (the API server away past the renew deadline, say) stops the controller —
/// no new step, the clusters' locks let go — and the replica stands for the Lease again, as a
/// standby: an API-server outage never turns into restarts. A replica that stops or crashes while
/// leading gives the Lease up once its controller has stopped.
/// </summary>
public sealed class ElectedController(KubernetesApi client, OperatorOptions options, TimeProvider time, ILoggerFactory logging, Metrics.HygieneMetrics metrics,
    EtcdClientPool clients, LeaseClient? leaseClient = null)
{
    private readonly KubernetesApi _leaseClient = leaseClient?.Client ?? client;
    private readonly ILogger _logger = logging.CreateLogger(LogCategory.Operator);
    private volatile PolicyController? _controller;
    private LeaseElector? _lease;
    private int _reconciles;
    private int _cycles;

    /// <summary>True while this replica runs the controller.</summary>
    public bool IsLeading => _controller is not null;

    /// <summary>True once the running controller has listed every policy.</summary>
    public bool HasSynced => _controller?.HasSynced ?? false;

    /// <summary>Reconciles this replica ran, for tests and logs.</summary>
    public int Reconciles => Volatile.Read(ref _reconciles);

    /// <summary>Hygiene cycles this replica's policies finished, for tests and logs.</summary>
    public int Cycles => Volatile.Read(ref _cycles);

    /// <summary>Why this replica cannot do its job right now (the Lease cannot be reached), or null.</summary>
    public string? Trouble => _lease?.Failure;

    /// <summary>
    /// Runs until stopped (returns 0) or until the controller crashes (returns 1, after giving the
    /// Lease up). A lost Lease is stood for again.
    /// </summary>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        if (!options.LeaderElect)
        {
            return await RunControllerSafelyAsync(stopping);
        }
        while (true)
        {
            if (await RunTermAsync(stopping) is { } exit)
            {
                return exit;
            }
        }
    }

    /// <summary>One term: wait for the Lease, lead until stopped (an exit code) or until the Lease is lost (null).</summary>
    private async Task<int?> RunTermAsync(CancellationToken stopping)
    {
        var elector = new LeaseElector(_leaseClient, options.LeaseNamespace, options.LeaseName, options.Identity,
            new LeaseTimings(options.LeaseDuration, options.RenewDeadline, options.RetryPeriod), time, _logger);
        _lease = elector;
        _logger.LogInformation("Waiting for the lease {Namespace}/{Lease} as {Identity}", options.LeaseNamespace, options.LeaseName, options.Identity);
        try
        {
            await elector.AcquireAsync(stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return 0;
        }

        // The renewals have their own token, not the stop token: a stopping leader keeps renewing
        // until its controller has stopped (the step in flight finished), so that no other replica
        // acts on the same etcd cluster meanwhile; only then is the Lease given up.
        using var renewalStop = new CancellationTokenSource();
        var renewals = elector.KeepAsync(renewalStop.Token);
        using var leadership = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var controller = RunControllerSafelyAsync(leadership.Token);
        if (await Task.WhenAny(renewals, controller) == renewals)
        {
            // Another replica may lead already: stop at once, start no new step.
            await leadership.CancelAsync();
            var why = await renewals;
            _logger.LogWarning("Lost the lease {Lease}{Why}; stopped acting, standing for it again", options.LeaseName, why is null ? "" : $" ({why})");
            if (await controller != 0)
            {
                return 1;
            }
            return stopping.IsCancellationRequested ? 0 : null;
        }
        var exit = await controller;
        await renewalStop.CancelAsync();
        await renewals;
        await elector.ReleaseAsync();
        return exit;
    }

    /// <summary>Runs the controller; a crash is logged and becomes exit code 1, never a stack trace on the console.</summary>
    private async Task<int> RunControllerSafelyAsync(CancellationToken stopping)
    {
        try
        {
            await RunControllerAsync(stopping);
            return 0;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogCritical(e, "The controller stopped unexpectedly");
            return 1;
        }
    }

    private async Task RunControllerAsync(CancellationToken stopping)
    {
        var source = new CustomResourceSource<RegistryPolicyResource>(client, RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, RegistryPolicyCrd.Plural, options.Namespace,
            ResourceJson.Default.RegistryPolicyResource, RegistryPolicyResource.FromUnreadable);
        // Per leadership term: a replica that leads again starts from what status holds, not from memory.
        // The clusters' locks are held for this term only, and every request is fenced by the Lease.
        await using var lanes = new ClusterLanes(clients, time, logging, ClusterLanes.IdentityOf($"operator {options.Identity}"), _lease);
        await using var runners = new PolicyRunners(time, logging, metrics, clients, lanes, _ => Interlocked.Increment(ref _cycles));
        var runtime = logging.CreateLogger(LogCategory.Controller);
        var status = new StatusPatcher(client, RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, RegistryPolicyCrd.Plural, ApiJson.Default, runtime);
        var events = new EventRecorder(client, "etcd-hygiene", time, runtime);
        var controller = new PolicyController(source,
            cache => new RegistryPolicyReconciler(cache, options.Tenancy, new SecretReader(client), runners, status, events, time, _logger),
            options.Workers, time, logging, onReconcile: () => Interlocked.Increment(ref _reconciles));
        _controller = controller;
        _logger.LogInformation("Controller started, watching {Scope}", options.Namespace is null ? "all namespaces" : $"namespace {options.Namespace}");
        if (options.Tenancy.Rules.Count == 0)
        {
            _logger.LogWarning("No tenancy rule is set ({Source}): every RegistryPolicy will be refused with reason NotAllowed", options.Tenancy.Source);
        }
        try
        {
            await controller.RunAsync(stopping);
        }
        finally
        {
            _controller = null;
        }
    }
}
