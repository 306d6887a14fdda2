using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Controller.Status;
using EtcdHygiene.Operator.Supervision;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Controller;

/// <summary>The operator's announcer: findings become status (conditions, members, hot keys) and events on the RegistryPolicy.</summary>
public sealed class ConditionsAndEventsAnnouncer(PolicyStatusWriter status, EventRecorder events, V1ObjectReference subject, TimeProvider time, ILogger logger)
    : IFindingsAnnouncer
{
    /// <inheritdoc />
    public async Task BeforeNoSpaceCompactionAsync(HygienePolicy policy, ChurnFindings findings)
    {
        try
        {
            await status.ApplyAsync(StatusChanges.WithFindings(policy.Generation, findings, time.GetUtcNow()));
            await RecordAsync(CycleEvents.Of(findings));
            logger.LogInformation("Policy {Policy}: churn findings written to status before the NOSPACE compaction", policy.Key);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The recovery must not wait on the diagnosis.
            logger.LogWarning("Policy {Policy}: could not publish the churn findings before compacting: {Error}", policy.Key, e.Message);
        }
    }

    /// <inheritdoc />
    public async Task CycleFinishedAsync(HygienePolicy policy, CycleResult result, ChurnFindings findings)
    {
        await RecordAsync(CycleEvents.Of(result).Concat(CycleEvents.Of(findings)));
        var now = time.GetUtcNow();
        var afterCycle = StatusChanges.AfterCycle(policy, result, now);
        var withFindings = StatusChanges.WithFindings(policy.Generation, findings, now);
        await status.ApplyAsync(s => withFindings(afterCycle(s)));
    }

    private async Task RecordAsync(IEnumerable<PolicyEvent> toRecord)
    {
        foreach (var e in toRecord)
        {
            // Not cancellable: a step that ran is told even while the operator stops.
            await events.RecordAsync(subject, e.Type, e.Reason, e.Message, CancellationToken.None);
        }
    }
}
