using System.Text.Json;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Kubernetes.Runtime;

namespace EtcdHygiene.Operator.Controller.Status;

/// <summary>
/// The one writer of a policy's status during a reconcile: it applies <see cref="StatusChanges"/>
/// to the status as last written (a cycle writes several times: progress, evidence, the end) and
/// patches only what changed. Every write is conditional on the resourceVersion this writer last
/// read or wrote, so a replica that lost the Lease mid-step cannot overwrite the kept state a newer
/// leader wrote: <see cref="StatusPatcher"/> throws <see cref="StatusConflictException"/> instead.
/// </summary>
public sealed class PolicyStatusWriter(StatusPatcher patcher, PolicyKey key, RegistryPolicyStatus? current, string resourceVersion)
{
    /// <summary>The status as this reconcile last wrote it (or found it); null when there is none or it cannot be read.</summary>
    public RegistryPolicyStatus? Current { get; private set; } = current;

    /// <summary>
    /// A writer starting from the status as stored now, not as the informer's cache last saw it
    /// (which may lag this replica's own last writes, or miss a previous leader's); null when the
    /// policy is gone.
    /// </summary>
    public static async Task<PolicyStatusWriter?> ReadAsync(StatusPatcher patcher, PolicyKey key, CancellationToken cancellationToken)
    {
        var stored = await patcher.ReadAsync<RegistryPolicyStatus>(key.Namespace, key.Name, cancellationToken);
        return stored is null ? null : new PolicyStatusWriter(patcher, key, stored.Status, stored.ResourceVersion);
    }

    /// <summary>
    /// Applies <paramref name="change"/> and writes the result. No cancellation: what a step did is
    /// recorded even while the operator stops.
    /// </summary>
    public async Task ApplyAsync(Func<RegistryPolicyStatus, RegistryPolicyStatus> change)
    {
        var desired = change(Clone(Current) ?? new RegistryPolicyStatus());
        resourceVersion = await patcher.PatchAsync(key.Namespace, key.Name, Current, desired, resourceVersion, CancellationToken.None);
        Current = desired;
    }

    // The changes edit the status they are given; the one Current holds must stay as written.
    private static RegistryPolicyStatus? Clone(RegistryPolicyStatus? status) =>
        status is null ? null : JsonSerializer.Deserialize(JsonSerializer.Serialize(status, ApiJson.Default.RegistryPolicyStatus), ApiJson.Default.RegistryPolicyStatus);
}
