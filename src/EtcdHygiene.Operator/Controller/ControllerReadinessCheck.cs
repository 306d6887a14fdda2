using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EtcdHygiene.Operator.Controller;

/// <summary>/readyz of the operator: ready once the running controller has listed every policy. It does not depend on leadership: a standby replica is ready.</summary>
public sealed class ControllerReadinessCheck(OperatorHost controller) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!controller.IsLeading || controller.HasSynced ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("informer not synced"));
}
