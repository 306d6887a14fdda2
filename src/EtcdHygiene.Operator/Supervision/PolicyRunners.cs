using System.Collections.Concurrent;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Metrics;
using EtcdHygiene.Operator.Supervision.Lanes;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>
/// The runners of many policies that come and go (the operator's): one per policy, made on first
/// use, stopped and closed with every metric series of its policy when the policy is gone.
/// </summary>
/// <remarks><paramref name="afterCycle"/> hears every cycle any of them finishes.</remarks>
public sealed class PolicyRunners(TimeProvider time, ILoggerFactory logging, HygieneMetrics metrics, EtcdClientPool clients, ClusterLanes lanes,
    Action<SupervisedCycle>? afterCycle = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<PolicyKey, PolicyRunner> _runners = new();

    /// <summary>The runner of <paramref name="key"/>.</summary>
    public PolicyRunner For(PolicyKey key) => _runners.GetOrAdd(key, k =>
        new PolicyRunner(new PolicySupervisor(k, time, logging, metrics, clients, lanes), time, logging.CreateLogger(LogCategory.Run), afterCycle));

    /// <summary>
    /// Stops the loop and the analysis of a policy that cannot be acted on for now (an invalid
    /// spec): before its next step, after the one in flight. Its connection stays.
    /// </summary>
    public async Task StopAsync(PolicyKey key)
    {
        if (_runners.TryGetValue(key, out var runner))
        {
            await runner.StopAsync();
            await runner.Supervisor.StopAnalysisAsync();
        }
    }

    /// <summary>Stops and closes what ran for a policy that is gone, and forgets its metrics.</summary>
    public async Task RemoveAsync(PolicyKey key)
    {
        if (_runners.TryRemove(key, out var runner))
        {
            await runner.DisposeAsync();
        }
        metrics.Forget(key);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Stopped together: each waits only for its own step in flight.
        var stopping = new List<Task>();
        foreach (var key in _runners.Keys)
        {
            if (_runners.TryRemove(key, out var runner))
            {
                stopping.Add(runner.DisposeAsync().AsTask());
            }
        }
        await Task.WhenAll(stopping);
    }
}
