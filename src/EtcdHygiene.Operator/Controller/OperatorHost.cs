using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Kubernetes.Resources;
using EtcdHygiene.Kubernetes.Runtime;
using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Logging;

using EtcdHygiene.Operator.Supervision;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// The operator process: with leader election, the controller runs only while this replica holds
/// the Lease, and losing it ends the run (the process exits so the pod restarts clean).
/// </summary>
public sealed class OperatorHost(IKubernetes client, OperatorOptions options, TimeProvider time, ILoggerFactory logging, Metrics.HygieneMetrics metrics)
{
    private readonly ILogger _logger = logging.CreateLogger(LogCategory.Operator);
    private volatile PolicyController? _controller;
    private int _reconciles;

    /// <summary>True while this replica runs the controller.</summary>
    public bool IsLeading => _controller is not null;

    /// <summary>True once the running controller has listed every policy.</summary>
    public bool HasSynced => _controller?.HasSynced ?? false;

    /// <summary>Reconciles this replica ran, for tests and logs.</summary>
    public int Reconciles => Volatile.Read(ref _reconciles);

    /// <summary>Runs until stopped (returns 0) or until leadership is lost (returns 1).</summary>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        if (!options.LeaderElect)
        {
            return await RunControllerSafelyAsync(stopping);
        }
        var config = new LeaderElectionConfig(new LeaseLock(client, options.LeaseNamespace, options.LeaseName, options.Identity))
        {
            LeaseDuration = options.LeaseDuration,
            RenewDeadline = options.RenewDeadline,
            RetryPeriod = options.RetryPeriod,
        };
        using var elector = new LeaderElector(config);
        var leading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        elector.OnStartedLeading += () => leading.TrySetResult();
        elector.OnNewLeader += leader => _logger.LogInformation("Leader is now {Leader}", leader);
        _logger.LogInformation("Waiting for the lease {Namespace}/{Lease} as {Identity}", options.LeaseNamespace, options.LeaseName, options.Identity);
        var election = elector.RunUntilLeadershipLostAsync(stopping);
        await Task.WhenAny(leading.Task, election);
        if (!leading.Task.IsCompleted)
        {
            await IgnoreCancellation(election);
            return 0;
        }
        using var leadership = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var controller = RunControllerSafelyAsync(leadership.Token);
        await Task.WhenAny(election, controller);
        var lost = election.IsCompleted && !stopping.IsCancellationRequested;
        leadership.Cancel();
        var exit = await controller;
        await IgnoreCancellation(election);
        if (lost)
        {
            _logger.LogWarning("Lost the lease {Lease}; exiting so that the pod restarts clean", options.LeaseName);
            return 1;
        }
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
            RegistryPolicyResource.FromUnreadable);
        // Per leadership term: a replica that leads again starts from what status holds, not from memory.
        await using var supervisors = new PolicySupervisors(time, logging, metrics);
        var runtime = logging.CreateLogger(LogCategory.Controller);
        var status = new StatusPatcher(client, RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, RegistryPolicyCrd.Plural, runtime);
        var events = new EventRecorder(client, "etcd-hygiene", time, runtime);
        var controller = new PolicyController(source,
            (cache, reconcileNow) => new RegistryPolicyReconciler(cache, reconcileNow, new SecretReader(client), supervisors, status, events, time, _logger),
            options.Workers, time, logging, onReconcile: () => Interlocked.Increment(ref _reconciles));
        _controller = controller;
        _logger.LogInformation("Controller started, watching {Scope}", options.Namespace is null ? "all namespaces" : $"namespace {options.Namespace}");
        try
        {
            await controller.RunAsync(stopping);
        }
        finally
        {
            _controller = null;
        }
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
