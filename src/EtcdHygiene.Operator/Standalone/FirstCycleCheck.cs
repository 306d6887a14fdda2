using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EtcdHygiene.Operator.Standalone;

/// <summary>/readyz of <c>run</c>: ready once every policy finished its first cycle.</summary>
public sealed class FirstCycleCheck(StandaloneWorker worker) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(worker.Ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("first cycle not finished"));
}
