using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Controller.Leadership;

/// <summary>
/// Gives the Lease up when this replica stops leading of its own accord, so that the next replica
/// starts at once instead of waiting out the lease duration (KubernetesClient's elector does not
/// release). As client-go does: an empty holder and a one-second duration, written only if this
/// replica still holds the Lease (the write carries the resourceVersion read).
/// </summary>
public static class LeaseRelease
{
    /// <summary>Releases the Lease if <paramref name="identity"/> holds it; failures are logged, never thrown.</summary>
    public static async Task ReleaseAsync(IKubernetes client, string ns, string name, string identity, TimeProvider time, ILogger logger)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(name, ns, cancellationToken: timeout.Token);
            if (lease.Spec?.HolderIdentity != identity)
            {
                return;
            }
            var now = time.GetUtcNow().UtcDateTime;
            lease.Spec.HolderIdentity = "";
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = now;
            lease.Spec.AcquireTime = now;
            await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, name, ns, cancellationToken: timeout.Token);
            logger.LogInformation("Released the Lease {Namespace}/{Lease}", ns, name);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
        {
            logger.LogWarning("Could not release the Lease {Namespace}/{Lease} ({Reason}); the next replica takes over when it expires", ns, name, e.Message);
        }
    }
}
