using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Analysis;
using EtcdHygiene.Operator.Controller;
using EtcdHygiene.Operator.Metrics;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Standalone;

/// <summary>
/// The standalone front end over <see cref="HygieneCycle"/>: one loop per policy, the state saved
/// whenever it changes (before each defragmentation too), a pause of <c>spec.compaction.interval</c> between cycles (shorter
/// while NOSPACE lasts, since every minute of it is a minute without registrations).
/// </summary>
public sealed class StandaloneRunner
{
    /// <summary>Longest wait between cycles while a NOSPACE alarm is active.</summary>
    public static readonly TimeSpan NoSpaceRetry = TimeSpan.FromSeconds(10);

    private readonly StateStore _store;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _logging;
    private readonly HygieneMetrics _metrics;

    /// <summary>Creates the runner.</summary>
    public StandaloneRunner(StateStore store, TimeProvider time, ILoggerFactory logging, HygieneMetrics metrics)
    {
        _store = store;
        _time = time;
        _logging = logging;
        _metrics = metrics;
    }

    /// <summary>True once every policy finished its first cycle (for /readyz).</summary>
    public bool Ready => _pending == 0;

    private int _pending = int.MaxValue;

    /// <summary>Runs every policy; returns true when every cycle succeeded.</summary>
    public async Task<bool> RunAsync(IReadOnlyList<PolicySource> sources, bool once, CancellationToken stopping)
    {
        _pending = sources.Count;
        var results = await Task.WhenAll(sources.Select(s => RunPolicyAsync(s, once, stopping)));
        return results.All(ok => ok);
    }

    private async Task<bool> RunPolicyAsync(PolicySource source, bool once, CancellationToken stopping)
    {
        var policy = source.Policy;
        var logger = _logging.CreateLogger("etcd-hygiene.run");
        var state = _store.Load(policy.Key);
        var options = source.Connection;
        // Kept across cycles, replaced (as the operator does) when rotated Secret files change how to connect.
        await using var connections = new EtcdConnections(_time, _logging);
        await using var analyses = new PolicyAnalyses(_time, _logging);
        logger.LogInformation("Policy {Policy}: watching {Endpoints} every {Interval}{DryRun}",
            policy.Key, string.Join(",", policy.Etcd.Endpoints), GoDuration.Format(policy.Compaction.Interval), policy.DryRun ? " (dry run)" : "");
        var allSucceeded = true;
        var firstCycle = true;
        while (!stopping.IsCancellationRequested)
        {
            options = Reread(source, options, logger);
            var etcd = await connections.ForAsync(policy.Key, options);
            var analysis = await analyses.ForAsync(policy, options, state.Samples);
            var cycle = new HygieneCycle(etcd, _time, _logging.CreateLogger<HygieneCycle>());
            CycleResult result;
            try
            {
                var evidenceLogged = false;
                result = await cycle.RunAsync(policy, state, stopping, new CycleHooks
                {
                    BeforeStep = async (step, snapshot) =>
                    {
                        if (!evidenceLogged && PolicyAnalysis.DestroysEvidence(step, snapshot) && analysis.Watcher is not null)
                        {
                            evidenceLogged = true;
                            LogChurn(logger, policy, analysis.ToAnnounce(await analysis.CatchUpAsync(CancellationToken.None), _time.GetUtcNow(), always: true), "before the NOSPACE compaction");
                        }
                    },
                    SaveProgress = progress =>
                    {
                        _store.Save(policy.Key, progress);
                        return Task.CompletedTask;
                    },
                });
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            state = result.State;
            _store.Save(policy.Key, state);
            _metrics.Record(policy, result);
            var report = analysis.Report();
            _metrics.RecordFindings(policy.Key, report, analysis.Observe(policy, result.Final), _time.GetUtcNow());
            LogChurn(logger, policy, analysis.ToAnnounce(report, _time.GetUtcNow(), always: false), "over the analysis window");
            if (firstCycle)
            {
                firstCycle = false;
                Interlocked.Decrement(ref _pending);
            }
            var healthy = result.Succeeded && (policy.DryRun || policy.Suspend || !result.Final.HasNoSpaceAlarm);
            allSucceeded &= healthy;
            LogSummary(logger, policy, result);
            if (once)
            {
                break;
            }
            var wait = result.Final.HasNoSpaceAlarm && policy.Compaction.Interval > NoSpaceRetry ? NoSpaceRetry : policy.Compaction.Interval;
            try
            {
                await Task.Delay(wait, _time, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        logger.LogInformation("Policy {Policy}: stopped", policy.Key);
        return allSucceeded;
    }

    /// <summary>
    /// The Secret files as they are now, so that a rotated certificate or password is used from the
    /// next cycle on. Files caught half-written or removed keep the last good material (logged):
    /// a rotation in progress must not stop the hygiene of a cluster that still accepts the old one.
    /// </summary>
    private static EtcdConnectionOptions Reread(PolicySource source, EtcdConnectionOptions current, ILogger logger)
    {
        if (source.SecretsDirectory is null)
        {
            return current;
        }
        try
        {
            var fresh = source.ReadConnection();
            if (!fresh.ConnectsLike(current))
            {
                logger.LogInformation("Policy {Policy}: the Secret files under {Directory} changed: connecting with them from now on", source.Policy.Key, source.SecretsDirectory);
            }
            return fresh;
        }
        catch (PolicyFileException e)
        {
            logger.LogWarning("Policy {Policy}: {Problem}; keeping the Secrets read before", source.Policy.Key, e.Message);
            return current;
        }
    }

    private static void LogChurn(ILogger logger, HygienePolicy policy, IReadOnlyList<GroupFinding> churning, string when)
    {
        foreach (var group in churning)
        {
            logger.LogWarning("Policy {Policy}: churn {When}: {Finding}", policy.Key, when, ChurnRule.Describe(group));
        }
    }

    private static void LogSummary(ILogger logger, HygienePolicy policy, CycleResult result)
    {
        var largest = result.Final.Members.Where(m => m.Reachable).MaxBy(m => m.Status!.DbSizeBytes);
        logger.LogInformation(
            "Policy {Policy}: cycle {Outcome} in {Seconds:0.00}s: {Steps} steps, reclaimed {Reclaimed}; largest member {Member} {Size} ({Usage}); alarms {Alarms}",
            policy.Key,
            result.Interrupted ? "interrupted" : result.Succeeded ? "succeeded" : "failed",
            (result.FinishedAt - result.StartedAt).TotalSeconds,
            result.Steps.Count,
            Quantity.FormatBytes(result.ReclaimedBytes),
            largest?.Name ?? "-",
            largest is null ? "-" : Quantity.FormatBytes(largest.Status!.DbSizeBytes),
            largest is not null && policy.QuotaUsageOf(largest) is { } usage ? $"{usage * 100:0}% of quota" : "quota unknown",
            result.Final.Alarms.Count == 0 ? "none" : string.Join(",", result.Final.Alarms.Select(a => $"{a.Alarm}@{a.MemberId:x}")));
    }
}
