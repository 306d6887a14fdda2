using System.Collections.Concurrent;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Metrics;
using EtcdHygiene.Operator.Supervision.Lanes;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>
/// The supervisors of many policies that come and go (the operator's): one per policy, made on
/// first use, closed with every metric series of its policy when the policy is gone.
/// </summary>
public sealed class PolicySupervisors(TimeProvider time, ILoggerFactory logging, HygieneMetrics metrics, EtcdClientPool clients, ClusterLanes lanes) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<PolicyKey, PolicySupervisor> _supervisors = new();

    /// <summary>The supervisor of <paramref name="key"/>.</summary>
    public PolicySupervisor For(PolicyKey key) => _supervisors.GetOrAdd(key, k => new PolicySupervisor(k, time, logging, metrics, clients, lanes));

    /// <summary>Stops the analysis of a policy that cannot be acted on for now (an invalid spec); its connection stays.</summary>
    public async Task StopAnalysisAsync(PolicyKey key)
    {
        if (_supervisors.TryGetValue(key, out var supervisor))
        {
            await supervisor.StopAnalysisAsync();
        }
    }

    /// <summary>Closes what ran for a policy that is gone, and forgets its metrics.</summary>
    public async Task RemoveAsync(PolicyKey key)
    {
        if (_supervisors.TryRemove(key, out var supervisor))
        {
            await supervisor.DisposeAsync();
        }
        metrics.Forget(key);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var key in _supervisors.Keys)
        {
            if (_supervisors.TryRemove(key, out var supervisor))
            {
                await supervisor.DisposeAsync();
            }
        }
    }
}
