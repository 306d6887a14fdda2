using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Metrics;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>
/// The per-policy runtime, the same for <c>run</c> and the operator: it owns what a policy needs
/// between cycles (its etcd connection, its churn analysis and forecast) and runs each cycle with
/// everything around it — the evidence saved before a NOSPACE compaction, progress saved before
/// each defragmentation, metrics, findings told, and when the next cycle is due. The front ends
/// give it only where state lives (<see cref="IPolicyStateStore"/>) and how findings are told
/// (<see cref="IFindingsAnnouncer"/>), and wait as it says.
/// </summary>
public sealed class PolicySupervisor : IAsyncDisposable
{
    /// <summary>Longest wait between cycles while a NOSPACE alarm is active: no instance can register meanwhile.</summary>
    public static readonly TimeSpan NoSpaceRetry = TimeSpan.FromSeconds(10);

    private readonly PolicyKey _key;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _logging;
    private readonly HygieneMetrics _metrics;
    private EtcdClusterConnection? _connection;
    private PolicyAnalysis? _analysis;

    /// <summary>Creates the runtime of one policy; nothing connects before the first cycle.</summary>
    public PolicySupervisor(PolicyKey key, TimeProvider time, ILoggerFactory logging, HygieneMetrics metrics)
    {
        _key = key;
        _time = time;
        _logging = logging;
        _metrics = metrics;
    }

    /// <summary>
    /// Runs one cycle of <paramref name="policy"/> over <paramref name="options"/> (the connection
    /// and the analysis are kept from the last cycle unless these changed). Steps that started run
    /// to their end; <paramref name="stopping"/> is honoured between them.
    /// </summary>
    public async Task<SupervisedCycle> RunCycleAsync(HygienePolicy policy, EtcdConnectionOptions options, IPolicyStateStore store, IFindingsAnnouncer announcer,
        CancellationToken stopping)
    {
        var state = await store.LoadAsync(stopping);
        var etcd = await ConnectionAsync(options);
        var analysis = await AnalysisAsync(policy, options, state.Samples);
        var cycle = new HygieneCycle(etcd, _time, _logging.CreateLogger(LogCategory.Cycle));
        var evidenceTold = false;
        var result = await cycle.RunAsync(policy, state, stopping, new CycleHooks
        {
            BeforeStep = async (step, snapshot) =>
            {
                if (!evidenceTold && PolicyAnalysis.DestroysEvidence(step, snapshot) && analysis.Watcher is not null)
                {
                    evidenceTold = true;
                    var report = await analysis.CatchUpAsync(CancellationToken.None);
                    await announcer.BeforeNoSpaceCompactionAsync(policy,
                        new ChurnFindings(report, analysis.Watcher.Problem, analysis.Forecast, analysis.ToAnnounce(report, _time.GetUtcNow(), always: true)));
                }
            },
            SaveProgress = store.SaveAsync,
        });

        _metrics.Record(policy, result);
        var now = _time.GetUtcNow();
        var forecast = analysis.Observe(policy, result.Final);
        var churn = analysis.Report();
        _metrics.RecordFindings(_key, churn, forecast, now);
        // Told first, then saved: the operator's status write carries the state too, so the save
        // after it has nothing left to write.
        await announcer.CycleFinishedAsync(policy, result, new ChurnFindings(churn, analysis.Watcher?.Problem, forecast, analysis.ToAnnounce(churn, now, always: false)));
        await store.SaveAsync(result.State);
        return new SupervisedCycle(result, NextCycleIn(policy, result));
    }

    /// <summary>
    /// The next cycle comes after <c>spec.compaction.interval</c>, or sooner while NOSPACE lasts,
    /// since every minute of it is a minute without registrations.
    /// </summary>
    public static TimeSpan NextCycleIn(HygienePolicy policy, CycleResult result) =>
        result.Final.HasNoSpaceAlarm && policy.Compaction.Interval > NoSpaceRetry ? NoSpaceRetry : policy.Compaction.Interval;

    /// <summary>Stops the analysis (the policy can no longer be acted on); the next cycle starts it again.</summary>
    public async Task StopAnalysisAsync()
    {
        if (_analysis is not null)
        {
            await _analysis.DisposeAsync();
            _analysis = null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAnalysisAsync();
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    /// <summary>The connection, kept across cycles (its member clients are expensive to build) and replaced when endpoints, timeouts or Secrets change.</summary>
    private async Task<EtcdClusterConnection> ConnectionAsync(EtcdConnectionOptions options)
    {
        if (_connection is not null && !_connection.Options.ConnectsLike(options))
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
        return _connection ??= new EtcdClusterConnection(options, _time, _logging.CreateLogger(LogCategory.Etcd));
    }

    /// <summary>The analysis, kept across cycles (its watch runs between them) and restarted when what it analyses or how it connects changes.</summary>
    private async Task<PolicyAnalysis> AnalysisAsync(HygienePolicy policy, EtcdConnectionOptions options, IEnumerable<RevisionSample> samples)
    {
        if (_analysis is not null && !(_analysis.Analyses(policy.Analysis) && _analysis.Options.ConnectsLike(options)))
        {
            await StopAnalysisAsync();
        }
        return _analysis ??= new PolicyAnalysis(policy, options, samples, _time, _logging.CreateLogger(LogCategory.Analysis));
    }
}
