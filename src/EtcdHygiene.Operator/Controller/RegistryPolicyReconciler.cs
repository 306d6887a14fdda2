using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Kubernetes.Resources;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Controller.Status;
using EtcdHygiene.Operator.Supervision;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// RegistryPolicy → one cycle of its <see cref="PolicySupervisor"/>, in phases: a deleted policy
/// closes what ran for it; an unreadable or invalid spec is reported and nothing reaches etcd; a
/// missing Secret is reported and retried; otherwise the cycle runs with status as its state store
/// and conditions and events as its announcer, and the policy is looked at again when the
/// supervisor says the next cycle is due, or sooner when its watch sees a reason.
/// </summary>
public sealed class RegistryPolicyReconciler(
    Func<string, RegistryPolicyResource?> cache, Action<string> reconcileNow, SecretReader secrets, PolicySupervisors supervisors, StatusPatcher patcher,
    EventRecorder events, TimeProvider time, ILogger logger)
{
    /// <summary>How soon to retry when a Secret is missing.</summary>
    public static readonly TimeSpan SecretRequeue = TimeSpan.FromSeconds(30);

    /// <summary>Reconciles the policy "namespace/name".</summary>
    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken stopping)
    {
        var resource = cache(key);
        var parts = key.Split('/', 2);
        var policyKey = new PolicyKey(parts[0], parts[1]);
        if (resource is null || resource.Metadata.DeletionTimestamp is not null)
        {
            await supervisors.RemoveAsync(policyKey);
            logger.LogInformation("Policy {Policy} is gone; its etcd connection and analysis are closed", key);
            return ReconcileResult.Done;
        }
        var subject = Reference(resource);
        var generation = resource.Metadata.Generation ?? 0;
        if (await PolicyStatusWriter.ReadAsync(patcher, policyKey, stopping) is not { } status)
        {
            return ReconcileResult.Done; // deleted since the cache saw it: its watch event follows
        }
        var (policy, problems) = Read(resource, generation);
        if (policy is null)
        {
            return await RefuseAsync(policyKey, subject, status, generation, problems, stopping);
        }

        EtcdConnectionOptions options;
        try
        {
            options = await secrets.OptionsForAsync(policy, stopping);
        }
        catch (SecretUnavailableException e)
        {
            await events.RecordAsync(subject, PolicyEvent.Warning, CycleEvents.SecretUnavailable, e.Message, stopping);
            await status.ApplyAsync(StatusChanges.SecretUnavailable(generation, e.Message, time.GetUtcNow()));
            return ReconcileResult.After(SecretRequeue);
        }

        var supervisor = supervisors.For(policyKey);
        var cycle = await supervisor.RunCycleAsync(policy, options,
            new StatusStateStore(status), new ConditionsAndEventsAnnouncer(status, events, subject, time, logger), stopping);
        // Until the requeue comes, the watch may call the next cycle sooner (a NOSPACE, a quota mark crossed).
        supervisor.StartWatch(policy, cycle.NextCycleIn, _ => reconcileNow(key));
        return ReconcileResult.After(cycle.NextCycleIn);
    }

    /// <summary>The validated policy, or why there is none.</summary>
    private static (HygienePolicy? Policy, IReadOnlyList<string> Problems) Read(RegistryPolicyResource resource, long generation)
    {
        if (resource.Unreadable is { } unreadable)
        {
            return (null, [$"the object cannot be read: {unreadable}"]);
        }
        var validation = PolicyValidator.Validate(new RegistryPolicyManifest
        {
            ApiVersion = resource.ApiVersion,
            Kind = resource.Kind,
            Metadata = new PolicyMetadata { Name = resource.Metadata.Name, Namespace = resource.Metadata.NamespaceProperty, Generation = generation },
            Spec = resource.Spec,
        });
        return validation.IsValid ? (validation.Policy, []) : (null, validation.Problems);
    }

    /// <summary>An invalid or unreadable spec: say why, touch nothing, stop the analysis that ran for the policy before.</summary>
    private async Task<ReconcileResult> RefuseAsync(PolicyKey policyKey, V1ObjectReference subject, PolicyStatusWriter status, long generation,
        IReadOnlyList<string> problems, CancellationToken stopping)
    {
        var text = string.Join("; ", problems);
        logger.LogWarning("Policy {Policy}: invalid spec: {Problems}", policyKey, text);
        await supervisors.StopAnalysisAsync(policyKey);
        await events.RecordAsync(subject, PolicyEvent.Warning, CycleEvents.InvalidSpec, text, stopping);
        await status.ApplyAsync(StatusChanges.InvalidSpec(generation, problems, time.GetUtcNow()));
        return ReconcileResult.Done;
    }

    private static V1ObjectReference Reference(RegistryPolicyResource resource) => new()
    {
        ApiVersion = resource.ApiVersion,
        Kind = resource.Kind,
        Name = resource.Metadata.Name,
        NamespaceProperty = resource.Metadata.NamespaceProperty,
        Uid = resource.Metadata.Uid,
        ResourceVersion = resource.Metadata.ResourceVersion,
    };
}
