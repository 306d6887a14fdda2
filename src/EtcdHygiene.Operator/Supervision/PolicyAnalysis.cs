using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Etcd.Analysis;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>
/// What one policy learns beyond the hygiene itself: the churn analysis over its prefixes (a
/// watch running between cycles) and the growth forecast fed by each cycle's observation.
/// </summary>
public sealed class PolicyAnalysis : IAsyncDisposable
{
    /// <summary>How long a NOSPACE compaction waits for the analysis to read the history it destroys.</summary>
    public static readonly TimeSpan CatchUpBeforeCompaction = TimeSpan.FromSeconds(15);

    private readonly GrowthForecast _growth = new();
    private readonly Dictionary<string, DateTimeOffset> _announced = [];
    private string? _toldStuck;

    /// <summary>Starts the analysis of <paramref name="policy"/>; no watch when it names no prefixes.</summary>
    public PolicyAnalysis(HygienePolicy policy, EtcdConnectionOptions options, IEnumerable<RevisionSample> samples, TimeProvider time, ILogger logger)
    {
        Settings = policy.Analysis;
        Options = options;
        if (policy.Analysis.Prefixes.Count > 0)
        {
            Watcher = new ChurnWatcher(options, policy.Analysis.Prefixes, new ChurnAnalyzerOptions
            {
                Window = policy.Analysis.Window,
                Top = policy.Analysis.TopKeys,
                GroupDepth = policy.Analysis.GroupDepth,
            }, time, logger);
            // Replay what etcd retains, dated by the revision samples compaction keeps.
            Watcher.Start(fromRevision: null, new RevisionClock(samples));
        }
    }

    /// <summary>The analysis settings it runs with.</summary>
    public AnalysisSettings Settings { get; }

    /// <summary>True when it runs with exactly <paramref name="settings"/>.</summary>
    public bool Analyses(AnalysisSettings settings) =>
        Settings.Prefixes.SequenceEqual(settings.Prefixes) && Settings.Window == settings.Window && Settings.TopKeys == settings.TopKeys && Settings.GroupDepth == settings.GroupDepth;

    /// <summary>The connection options it runs with.</summary>
    public EtcdConnectionOptions Options { get; }

    /// <summary>The churn watch; null when the policy analyses no prefixes.</summary>
    public ChurnWatcher? Watcher { get; }

    /// <summary>The churn findings now; null when the policy analyses no prefixes.</summary>
    public ChurnReport? Report() => Watcher?.Report();

    /// <summary>
    /// The churning groups of <paramref name="report"/> to announce (event, log line): each at most
    /// once per analysis window, since its sentence changes with every rate and cycles can be
    /// seconds apart; every one of them when <paramref name="always"/>.
    /// </summary>
    public IReadOnlyList<GroupFinding> ToAnnounce(ChurnReport? report, DateTimeOffset now, bool always)
    {
        var announce = new List<GroupFinding>();
        foreach (var group in report?.Churning ?? [])
        {
            if (always || !_announced.TryGetValue(group.Group, out var last) || now - last >= Settings.Window)
            {
                _announced[group.Group] = now;
                announce.Add(group);
            }
        }
        return announce;
    }

    /// <summary>
    /// The findings of <paramref name="report"/> to hand to the announcer: the churning groups to
    /// tell (<see cref="ToAnnounce"/>), and a failure of the watch that retrying cannot cure the
    /// first time it is seen — told once, not every cycle, while hygiene goes on without the analysis.
    /// </summary>
    public ChurnFindings Findings(ChurnReport? report, Forecast? forecast, DateTimeOffset now, bool always)
    {
        var stuck = Watcher is { Stuck: true } ? Watcher.StuckOn : null;
        var tell = stuck is not null && stuck != _toldStuck;
        _toldStuck = stuck;
        return new ChurnFindings(report, Watcher?.Problem, forecast, ToAnnounce(report, now, always), stuck is not null, tell ? Watcher!.Problem : null);
    }

    /// <summary>The forecast as of the last observation.</summary>
    public Forecast? Forecast { get; private set; }

    /// <summary>Feeds the forecast with a cycle's last observation and returns it.</summary>
    public Forecast? Observe(HygienePolicy policy, ClusterSnapshot snapshot)
    {
        var largest = snapshot.Members.Where(m => m.Status is not null).MaxBy(m => m.Status!.DbSizeBytes);
        if (largest is null)
        {
            return Forecast;
        }
        _growth.Add(snapshot.ObservedAt, largest.Status!.DbSizeBytes);
        Forecast = policy.QuotaOf(largest) is { } quota ? _growth.Predict(quota) : null;
        return Forecast;
    }

    /// <summary>
    /// True before a compaction at NOSPACE: the history it drops is the evidence of what filled
    /// the database, so the analysis reads all of it first.
    /// </summary>
    public static bool DestroysEvidence(HygieneStep step, ClusterSnapshot snapshot) =>
        step.Kind == StepKind.Compact && snapshot.HasNoSpaceAlarm;

    /// <summary>Waits (bounded) until the analysis has read every write etcd holds now; the report after it.</summary>
    public async Task<ChurnReport?> CatchUpAsync(CancellationToken cancellationToken)
    {
        if (Watcher is null)
        {
            return null;
        }
        await Watcher.CatchUpAsync(CatchUpBeforeCompaction, cancellationToken);
        return Watcher.Report();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Watcher is not null)
        {
            await Watcher.DisposeAsync();
        }
    }
}
