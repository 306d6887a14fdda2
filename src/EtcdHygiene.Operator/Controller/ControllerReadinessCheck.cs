using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// /readyz of the operator: not ready while the Lease cannot be reached (a replica that could not
/// take over if the leader went away), nor while the leading controller has not yet listed every
/// policy. A standby replica that reaches the Lease is ready.
/// </summary>
public sealed class ControllerReadinessCheck(ElectedController controller) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (controller.Trouble is { } trouble)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(trouble));
        }
        return Task.FromResult(!controller.IsLeading || controller.HasSynced ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("informer not synced"));
    }
}
