using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Core.Watching;
using EtcdHygiene.Etcd;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>
/// The between-cycle status poll of one policy (not etcd's Watch stream, which the churn analysis
/// uses, nor the Kubernetes watch of the informer): every <c>spec.alarms.checkInterval</c> it reads
/// each member's Status — one cheap RPC per member — and compares it (<see cref="WatchTrigger"/>)
/// with the cluster as the last cycle left it and with the previous look. A new NOSPACE or CORRUPT
/// alarm, a member crossing a quota mark or growing fast enough to pass it, or a member falling
/// silent ends the wait at once.
/// </summary>
public sealed class StatusPoll(PolicyKey key, TimeProvider time, ILogger logger)
{
    /// <summary>
    /// Waits <paramref name="due"/>, polling <paramref name="etcd"/> (the members <paramref name="last"/>
    /// saw); returns the reason to start the cycle now (null when simply due) and the growth last
    /// measured, which the next cycle plans for whether it is hurried or due.
    /// </summary>
    public async Task<(string? Reason, GrowthOutlook? Outlook)> UntilDueAsync(HygienePolicy policy, TimeSpan due, IClusterConnection? etcd, ClusterSnapshot? last,
        CancellationToken stopping)
    {
        // Counted on the monotonic clock: a wall clock stepped back must not postpone the next cycle.
        var started = time.GetTimestamp();
        ClusterProbe? previous = null;
        GrowthOutlook? outlook = null;
        while (true)
        {
            var left = due - time.GetElapsedTime(started);
            // Task.Delay waits whole milliseconds and not at all below one: a shorter remainder is due
            // (the schedule explorer found the poll probing in a loop until the last fraction passed).
            if (left < TimeSpan.FromMilliseconds(1))
            {
                return (null, outlook);
            }
            await Task.Delay(left < policy.Alarms.CheckInterval ? left : policy.Alarms.CheckInterval, time, stopping);
            if (etcd is null || last is null || time.GetElapsedTime(started) >= due)
            {
                continue;
            }
            ClusterProbe probe;
            try
            {
                probe = await etcd.ProbeAsync(stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The cycle, when due, observes and tells; the poll only hurries it.
                logger.LogDebug("Policy {Policy}: the status poll could not read the cluster: {Error}", key, e.Message);
                continue;
            }
            var finding = WatchTrigger.Check(policy, last, previous, probe);
            outlook = finding?.Outlook ?? WatchTrigger.Outlook(policy, previous ?? ClusterProbe.Of(last), probe);
            if (finding is not null)
            {
                logger.LogWarning("Policy {Policy}: {Reason}: starting a cycle now", key, finding.Reason);
                return (finding.Reason, outlook);
            }
            previous = probe;
        }
    }
}
