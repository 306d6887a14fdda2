using System.Collections.Concurrent;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Analysis;

/// <summary>
/// One <see cref="PolicyAnalysis"/> per policy, kept across cycles (its watch runs between them)
/// and restarted when what it analyses or how it connects changes.
/// </summary>
public sealed class PolicyAnalyses(TimeProvider time, ILoggerFactory logging) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<PolicyKey, PolicyAnalysis> _analyses = new();

    /// <summary>The analysis of <paramref name="policy"/>, started on first use with <paramref name="samples"/> to date replayed history.</summary>
    public async Task<PolicyAnalysis> ForAsync(HygienePolicy policy, EtcdConnectionOptions options, IEnumerable<RevisionSample> samples)
    {
        if (_analyses.TryGetValue(policy.Key, out var existing))
        {
            if (Same(existing.Settings, policy.Analysis) && existing.Options.ConnectsLike(options))
            {
                return existing;
            }
            await existing.DisposeAsync();
        }
        var analysis = new PolicyAnalysis(policy, options, samples, time, logging.CreateLogger("etcd-hygiene.analysis"));
        _analyses[policy.Key] = analysis;
        return analysis;
    }

    /// <summary>Stops the analysis of a policy that is gone.</summary>
    public async Task RemoveAsync(PolicyKey key)
    {
        if (_analyses.TryRemove(key, out var existing))
        {
            await existing.DisposeAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var key in _analyses.Keys)
        {
            await RemoveAsync(key);
        }
    }

    private static bool Same(AnalysisSettings a, AnalysisSettings b) =>
        a.Prefixes.SequenceEqual(b.Prefixes) && a.Window == b.Window && a.TopKeys == b.TopKeys && a.GroupDepth == b.GroupDepth;
}
