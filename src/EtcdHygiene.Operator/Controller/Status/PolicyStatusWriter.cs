using System.Text.Json;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Kubernetes.Runtime;

namespace EtcdHygiene.Operator.Controller.Status;

/// <summary>
/// The one writer of a policy's status during a reconcile: it applies <see cref="StatusChanges"/>
/// to the status as last written (a cycle writes several times: progress, evidence, the end) and
/// patches only what changed.
/// </summary>
public sealed class PolicyStatusWriter(StatusPatcher patcher, PolicyKey key, RegistryPolicyStatus? current)
{
    /// <summary>The status as this reconcile last wrote it (or found it).</summary>
    public RegistryPolicyStatus? Current { get; private set; } = current;

    /// <summary>
    /// Applies <paramref name="change"/> and writes the result. No cancellation: what a step did is
    /// recorded even while the operator stops.
    /// </summary>
    public async Task ApplyAsync(Func<RegistryPolicyStatus, RegistryPolicyStatus> change)
    {
        var desired = change(Clone(Current) ?? new RegistryPolicyStatus());
        await patcher.PatchAsync(key.Namespace, key.Name, Current, desired, CancellationToken.None);
        Current = desired;
    }

    // The changes edit the status they are given; the one Current holds must stay as written.
    private static RegistryPolicyStatus? Clone(RegistryPolicyStatus? status) =>
        status is null ? null : JsonSerializer.Deserialize<RegistryPolicyStatus>(JsonSerializer.Serialize(status));
}
