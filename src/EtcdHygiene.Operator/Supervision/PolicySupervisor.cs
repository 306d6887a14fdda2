using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Core.Watching;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Metrics;
using EtcdHygiene.Operator.Supervision.Lanes;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>
/// The per-policy runtime, the same for <c>run</c> and the operator: it owns what a policy needs
/// between cycles (its etcd connection, its churn analysis and forecast) and runs each cycle with
/// everything around it — the evidence saved before a NOSPACE compaction, progress saved before
/// each defragmentation, metrics, findings told, and when the next cycle is due. The front ends
/// give it only where state lives (<see cref="IPolicyStateStore"/>) and how findings are told
/// (<see cref="IFindingsAnnouncer"/>); <see cref="PolicyRunner"/> runs its cycles and waits as it
/// says: until the next is due (<see cref="CycleSchedule"/>), polling the cluster's status
/// meanwhile (<see cref="StatusPoll"/>), which ends the wait at once on a reason to act.
/// </summary>
public sealed class PolicySupervisor : IAsyncDisposable
{
    private readonly PolicyKey _key;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _logging;
    private readonly HygieneMetrics _metrics;
    private readonly ILogger _pollLogger;
    private readonly StatusPoll _poll;
    private readonly ClusterLanes _lanes;
    private readonly ClusterConnectionFactory _connect;
    private IClusterConnection? _connection;
    private PolicyAnalysis? _analysis;
    private ClusterSnapshot? _last;
    private GrowthOutlook? _outlook;
    private int _unreachedInARow;

    /// <summary>
    /// Creates the runtime of one policy; nothing connects before the first cycle. Its connection
    /// rents member clients from <paramref name="clients"/>, which the process's other policies share;
    /// its steps take turns on <paramref name="lanes"/> with those of every policy of the process
    /// that reaches the same etcd cluster (without them, the supervisor has lanes of its own and
    /// still takes each cluster's lock). <paramref name="connect"/> opens the connection; by default
    /// an <see cref="EtcdClusterConnection"/> (the schedule explorer gives a simulated cluster).
    /// </summary>
    public PolicySupervisor(PolicyKey key, TimeProvider time, ILoggerFactory logging, HygieneMetrics metrics, EtcdClientPool clients, ClusterLanes? lanes = null,
        ClusterConnectionFactory? connect = null)
    {
        _connect = connect ?? (options => new EtcdClusterConnection(options, time, logging.CreateLogger(LogCategory.Etcd), clients));
        _lanes = lanes ?? new ClusterLanes(clients, time, logging, ClusterLanes.IdentityOf("process"));
        _key = key;
        _time = time;
        _logging = logging;
        _metrics = metrics;
        _pollLogger = logging.CreateLogger(LogCategory.Poll);
        _poll = new StatusPoll(key, time, _pollLogger);
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
        if (policy.Suspend || policy.DryRun)
        {
            // It will not act: the cluster's lock is not kept for it.
            await _lanes.LeaveAsync(_key);
        }
        var cycle = new HygieneCycle(etcd, _time, _logging.CreateLogger(LogCategory.Cycle), new PolicyLanes(_lanes, _key, options));
        var evidenceTold = false;
        var outlook = Interlocked.Exchange(ref _outlook, null);
        var result = await cycle.RunAsync(policy, state, stopping, outlook: outlook, hooks: new CycleHooks
        {
            BeforeStep = async (step, snapshot) =>
            {
                if (!evidenceTold && PolicyAnalysis.DestroysEvidence(step, snapshot) && analysis.Watcher is not null)
                {
                    evidenceTold = true;
                    var report = await analysis.CatchUpAsync(CancellationToken.None);
                    await announcer.BeforeNoSpaceCompactionAsync(policy,
                        analysis.Findings(report, analysis.Forecast, _time.GetUtcNow(), always: true));
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
        await announcer.CycleFinishedAsync(policy, result, analysis.Findings(churn, forecast, now, always: false));
        await store.SaveAsync(result.State);
        _last = result.Final;
        _unreachedInARow = result.ReachedEveryMember ? 0 : _unreachedInARow + 1;
        var next = CycleSchedule.NextCycleIn(policy, result, forecast, now, _unreachedInARow);
        if (_unreachedInARow > 0)
        {
            _pollLogger.LogInformation("Policy {Policy}: not every member answered ({Times} cycle(s) in a row); the next cycle comes in {Wait}",
                _key, _unreachedInARow, GoDuration.Format(next));
        }
        return new SupervisedCycle(result, next);
    }

    /// <summary>
    /// Waits <paramref name="due"/> for the next cycle, polling the cluster's status meanwhile
    /// (<see cref="StatusPoll"/>); returns early, with the reason, when the poll sees one to start
    /// the cycle now. Null when simply due.
    /// </summary>
    public async Task<string?> PollUntilDueAsync(HygienePolicy policy, TimeSpan due, CancellationToken stopping)
    {
        var (reason, outlook) = await _poll.UntilDueAsync(policy, due, _connection, _last, stopping);
        _outlook = outlook;
        return reason;
    }

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
        await _lanes.LeaveAsync(_key);
        await StopAnalysisAsync();
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    /// <summary>The connection, kept across cycles (its member clients are expensive to build) and replaced when endpoints, timeouts or Secrets change.</summary>
    private async Task<IClusterConnection> ConnectionAsync(EtcdConnectionOptions options)
    {
        if (_connection is not null && !_connection.Options.ConnectsLike(options))
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
        return _connection ??= _connect(options);
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
