using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Core.Tenancy;
using EtcdHygiene.Kubernetes.Resources;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Controller.Status;
using EtcdHygiene.Operator.Supervision;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// RegistryPolicy → what its <see cref="PolicyRunner"/> should do, in phases: a deleted policy
/// stops and closes what ran for it; an unreadable or invalid spec is reported, its runner stopped,
/// and nothing reaches etcd; so is a policy outside the administrator's tenancy rules (which
/// endpoints its namespace may name, the shortest retention, whether analysis may read keys), before
/// any connection is opened; otherwise its runner runs this generation of the spec, on a task of
/// its own, with status as its state store and conditions and events as its announcer (a missing
/// Secret is reported there and retried). The reconcile decides and returns: it never waits
/// through a maintenance, so one cluster's work never holds up another's emergency. A new spec
/// (suspend, say) and a deletion take effect before the runner's next step.
/// </summary>
public sealed class RegistryPolicyReconciler(
    Func<string, RegistryPolicyResource?> cache, TenancyRules tenancy, SecretReader secrets, PolicyRunners runners, StatusPatcher patcher,
    EventRecorder events, TimeProvider time, ILogger logger)
{
    /// <summary>Reconciles the policy "namespace/name".</summary>
    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken stopping)
    {
        var resource = cache(key);
        var parts = key.Split('/', 2);
        var policyKey = new PolicyKey(parts[0], parts[1]);
        if (resource is null || resource.Metadata.DeletionTimestamp is not null)
        {
            await runners.RemoveAsync(policyKey);
            logger.LogInformation("Policy {Policy} is gone; its cycles are stopped, its etcd connection and analysis closed", key);
            return ReconcileResult.Done;
        }
        var subject = Reference(resource);
        var generation = resource.Metadata.Generation ?? 0;
        if (await PolicyStatusWriter.ReadAsync(patcher, policyKey, stopping) is not { } status)
        {
            return ReconcileResult.Done; // deleted since the cache saw it: its watch event follows
        }
        if (resource.Unreadable is { } unreadable)
        {
            return await RefuseAsync(policyKey, subject, status, generation, [$"the object cannot be read: {unreadable}"], stopping);
        }
        var admission = PolicyAdmission.Decide(Manifest(resource, generation), tenancy);
        if (admission.Problems.Count > 0)
        {
            return await RefuseAsync(policyKey, subject, status, generation, admission.Problems, stopping);
        }
        if (admission.Refusal is { } refusal)
        {
            return await RefuseNotAllowedAsync(policyKey, subject, status, generation, refusal, stopping);
        }
        var policy = admission.Policy!;

        await runners.For(policyKey).EnsureAsync(generation, policy,
            new StatusFrontEnd(policyKey, generation, policy, subject, secrets, patcher, events, time, logger));
        return ReconcileResult.Done;
    }

    private static RegistryPolicyManifest Manifest(RegistryPolicyResource resource, long generation) => new()
    {
        ApiVersion = resource.ApiVersion,
        Kind = resource.Kind,
        Metadata = new PolicyMetadata { Name = resource.Metadata.Name, Namespace = resource.Metadata.NamespaceProperty, Generation = generation },
        Spec = resource.Spec,
    };

    /// <summary>An invalid or unreadable spec: say why, touch nothing, stop the cycles and the analysis that ran for the policy before.</summary>
    private async Task<ReconcileResult> RefuseAsync(PolicyKey policyKey, V1ObjectReference subject, PolicyStatusWriter status, long generation,
        IReadOnlyList<string> problems, CancellationToken stopping)
    {
        var text = string.Join("; ", problems);
        logger.LogWarning("Policy {Policy}: invalid spec: {Problems}", policyKey, text);
        await runners.StopAsync(policyKey);
        await events.RecordAsync(subject, PolicyEvent.Warning, EventReason.InvalidSpec, text, stopping);
        await status.ApplyAsync(StatusChanges.InvalidSpec(generation, problems, time.GetUtcNow()));
        return ReconcileResult.Done;
    }

    /// <summary>Outside the tenancy rules: say which setting refused it, stop what ran for it, open no connection.</summary>
    private async Task<ReconcileResult> RefuseNotAllowedAsync(PolicyKey policyKey, V1ObjectReference subject, PolicyStatusWriter status, long generation,
        string refusal, CancellationToken stopping)
    {
        logger.LogWarning("Policy {Policy} is not allowed: {Refusal}", policyKey, refusal);
        await runners.StopAsync(policyKey);
        await events.RecordAsync(subject, PolicyEvent.Warning, EventReason.NotAllowed, refusal, stopping);
        await status.ApplyAsync(StatusChanges.NotAllowed(generation, refusal, time.GetUtcNow()));
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
