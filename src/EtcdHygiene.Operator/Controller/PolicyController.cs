using System.Collections.Concurrent;
using EtcdHygiene.Kubernetes.Resources;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Supervision;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// Wires the informer to the work queue and the workers: watch events enqueue "namespace/name";
/// a status-only change (same generation) enqueues nothing, so the operator's own status writes
/// never trigger a new cycle, unless it makes an unreadable object readable again.
/// </summary>
public sealed class PolicyController
{
    private readonly Informer<RegistryPolicyResource> _informer;
    private readonly WorkQueue<string> _queue;
    private readonly KeyedWorkers<string> _workers;
    private readonly ConcurrentDictionary<string, (long Generation, bool Deleting, bool Unreadable)> _seen = new();

    /// <summary>Creates the controller; <paramref name="reconcilerFactory"/> gets the informer's cache lookup.</summary>
    public PolicyController(IResourceSource<RegistryPolicyResource> source,
        Func<Func<string, RegistryPolicyResource?>, RegistryPolicyReconciler> reconcilerFactory,
        int workers, TimeProvider time, ILoggerFactory logging, Action? onReconcile = null)
    {
        _queue = new WorkQueue<string>(time, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        _informer = new Informer<RegistryPolicyResource>(source, OnChange, time, logging.CreateLogger(LogCategory.Controller));
        var reconciler = reconcilerFactory(key => _informer.Get(key));
        _workers = new KeyedWorkers<string>(_queue, (key, stopping) =>
        {
            onReconcile?.Invoke();
            return reconciler.ReconcileAsync(key, stopping);
        }, workers, logging.CreateLogger(LogCategory.Controller));
    }

    /// <summary>True once the informer has listed every policy.</summary>
    public bool HasSynced => _informer.HasSynced;

    /// <summary>Runs until <paramref name="stopping"/>; in-flight reconciles finish their current step.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var informer = _informer.RunAsync(stopping);
        await _workers.RunAsync(stopping);
        await informer;
    }

    private void OnChange(InformerEventType type, RegistryPolicyResource policy)
    {
        var key = Informer<RegistryPolicyResource>.KeyOf(policy);
        if (type == InformerEventType.Deleted)
        {
            _seen.TryRemove(key, out _);
            _queue.Remove(key);
            _queue.Add(key);
            return;
        }
        // An object that could not be read (a field of the wrong type, in spec or status) is looked
        // at again when it becomes readable, even if its generation did not change: a status fixed
        // by hand or a CRD rolled back changes no generation.
        var now = (policy.Metadata.Generation ?? 0, policy.Metadata.DeletionTimestamp is not null, policy.Unreadable is not null);
        if (type == InformerEventType.Modified && _seen.TryGetValue(key, out var before) && before == now)
        {
            return;
        }
        _seen[key] = now;
        _queue.Add(key);
    }
}
