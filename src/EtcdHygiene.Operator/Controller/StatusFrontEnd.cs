using EtcdHygiene.Core.Policy;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Controller.Status;
using EtcdHygiene.Operator.Supervision;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// The operator's side of a policy's <see cref="PolicyRunner"/>: before each cycle the object is
/// read as stored (the status is the kept state) and its Secrets are read again, so rotated
/// credentials are used from the next cycle on. A missing Secret is reported (event and status)
/// and the cycle waits; a cycle that throws is retried with a growing wait.
/// </summary>
public sealed class StatusFrontEnd(PolicyKey key, long generation, HygienePolicy policy, V1ObjectReference subject, SecretReader secrets, StatusPatcher patcher,
    EventRecorder events, TimeProvider time, ILogger logger) : IPolicyFrontEnd
{
    private static readonly Backoff Failures = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));

    /// <inheritdoc />
    public async Task<CycleInputs?> PrepareAsync(CancellationToken cancellationToken)
    {
        if (await PolicyStatusWriter.ReadAsync(patcher, key, cancellationToken) is not { } status)
        {
            return null; // deleted: its watch event stops this runner
        }
        try
        {
            var options = await secrets.OptionsForAsync(policy, cancellationToken);
            return new CycleInputs(options, new StatusStateStore(status), new ConditionsAndEventsAnnouncer(status, events, subject, time, logger));
        }
        catch (SecretUnavailableException e)
        {
            await events.RecordAsync(subject, PolicyEvent.Warning, EventReason.SecretUnavailable, e.Message, cancellationToken);
            await status.ApplyAsync(StatusChanges.SecretUnavailable(generation, e.Message, time.GetUtcNow()));
            return null;
        }
    }

    /// <inheritdoc />
    public TimeSpan? RetryAfter(Exception error, int failures) => Failures.Delay(failures);
}
