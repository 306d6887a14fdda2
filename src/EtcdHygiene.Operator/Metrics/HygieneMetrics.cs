using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using System.Reflection;
using Prometheus;

namespace EtcdHygiene.Operator.Metrics;

/// <summary>
/// The Prometheus metrics (docs/architecture.md, and the README's Metrics section), fed by the per-policy runtime of both front ends.
/// Labels are bounded (namespace, policy, member, alarm, result, kind); forgetting a policy
/// removes every series it had.
/// </summary>
public sealed class HygieneMetrics
{
    private static readonly string[] MemberLabels = ["namespace", "policy", "member"];
    private readonly Dictionary<PolicyKey, HashSet<string>> _members = [];
    private readonly Dictionary<PolicyKey, HashSet<(string Member, string Alarm)>> _alarms = [];
    private readonly object _gate = new();

    private readonly Dictionary<PolicyKey, HashSet<string>> _groups = [];
    private readonly Gauge _dbSize, _dbInUse, _quota, _fragmentation, _leader, _up, _alarm, _lastSuccess, _info;
    private readonly Dictionary<PolicyKey, HashSet<(string Member, string Version)>> _versions = [];
    private readonly Gauge _groupWrites, _groupNoOp, _groupHistory, _growth, _exhaustion;
    private readonly Counter _analyzed;
    private readonly Counter _compactions, _defrags, _reclaimed, _disarms, _cycleErrors;
    private readonly Histogram _defragDuration, _cycleDuration;

    /// <summary>Registers the metrics in <paramref name="registry"/> (the default one when null).</summary>
    public HygieneMetrics(CollectorRegistry? registry = null)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(registry ?? Prometheus.Metrics.DefaultRegistry);
        // Always 1 from the start, whatever the policies: its absence is how an alert tells that no
        // etcd-hygiene is scraped (every other series comes and goes with policies).
        var version = typeof(HygieneMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        factory.CreateGauge("etcd_hygiene_build_info", "1 for every running etcd-hygiene process, labelled with its version.", ["version"]).WithLabels(version).Set(1);
        _dbSize = factory.CreateGauge("etcd_hygiene_member_db_size_bytes", "Physical size of the member's backend file (what etcd checks against the quota).", MemberLabels);
        _dbInUse = factory.CreateGauge("etcd_hygiene_member_db_size_in_use_bytes", "Bytes of the member's backend holding live data.", MemberLabels);
        _quota = factory.CreateGauge("etcd_hygiene_member_quota_bytes", "The member's backend quota (--quota-backend-bytes).", MemberLabels);
        _fragmentation = factory.CreateGauge("etcd_hygiene_member_fragmentation_ratio", "Share of the backend file a defragmentation would give back.", MemberLabels);
        _leader = factory.CreateGauge("etcd_hygiene_member_is_leader", "1 for the member that leads the cluster.", MemberLabels);
        _up = factory.CreateGauge("etcd_hygiene_member_up", "1 when the member answered the last observation and served a linearizable read.", MemberLabels);
        _alarm = factory.CreateGauge("etcd_hygiene_alarm_active", "1 while the member has the alarm raised.", ["namespace", "policy", "member", "alarm"]);
        _info = factory.CreateGauge("etcd_hygiene_member_info", "1 per member, labelled with the etcd version it reports.", ["namespace", "policy", "member", "version"]);
        _lastSuccess = factory.CreateGauge("etcd_hygiene_last_successful_cycle_timestamp_seconds", "Unix time of the last hygiene cycle that succeeded.", ["namespace", "policy"]);
        _groupWrites = factory.CreateGauge("etcd_hygiene_key_group_writes_per_minute", "Writes a minute to the key group over spec.analysis.window (top groups only).", ["namespace", "policy", "key_group"]);
        _groupNoOp = factory.CreateGauge("etcd_hygiene_key_group_noop_ratio", "Share of the key group's writes that changed nothing: identical, reorder-only or lease-recreated.", ["namespace", "policy", "key_group"]);
        _groupHistory = factory.CreateGauge("etcd_hygiene_key_group_history_bytes_per_hour", "Approximate bytes of history the key group's writes add an hour.", ["namespace", "policy", "key_group"]);
        _analyzed = factory.CreateCounter("etcd_hygiene_analyzed_writes_total", "Writes the churn analysis classified (replayed and live).", ["namespace", "policy"]);
        _growth = factory.CreateGauge("etcd_hygiene_db_growth_bytes_per_hour", "Fitted growth of the largest member's backend file over the last hour.", ["namespace", "policy"]);
        _exhaustion = factory.CreateGauge("etcd_hygiene_quota_exhaustion_seconds", "Seconds until the largest member reaches its quota at the fitted growth; absent when it does not grow.", ["namespace", "policy"]);
        _compactions = factory.CreateCounter("etcd_hygiene_compactions_total", "Compactions executed.", ["namespace", "policy", "kind", "result"]);
        _defrags = factory.CreateCounter("etcd_hygiene_defrags_total", "Defragmentations executed.", ["namespace", "policy", "member", "result"]);
        _reclaimed = factory.CreateCounter("etcd_hygiene_reclaimed_bytes_total", "Bytes defragmentation gave back to the file system.", ["namespace", "policy"]);
        _disarms = factory.CreateCounter("etcd_hygiene_alarm_disarms_total", "NOSPACE alarms disarmed.", ["namespace", "policy", "result"]);
        _cycleErrors = factory.CreateCounter("etcd_hygiene_cycle_errors_total", "Hygiene cycles that failed (a step failed or the cluster could not be observed).", ["namespace", "policy"]);
        _defragDuration = factory.CreateHistogram("etcd_hygiene_defrag_duration_seconds", "How long a member's defragmentation took (the member stops the world meanwhile).",
            new HistogramConfiguration { LabelNames = ["namespace", "policy"], Buckets = Histogram.ExponentialBuckets(0.01, 4, 9) });
        _cycleDuration = factory.CreateHistogram("etcd_hygiene_cycle_duration_seconds", "How long a hygiene cycle took.",
            new HistogramConfiguration { LabelNames = ["namespace", "policy"], Buckets = Histogram.ExponentialBuckets(0.01, 4, 9) });
    }

    /// <summary>Records what one cycle saw and did.</summary>
    public void Record(HygienePolicy policy, CycleResult result)
    {
        var (ns, name) = (policy.Key.Namespace, policy.Key.Name);
        lock (_gate)
        {
            RecordMembers(policy, result.Final);
            foreach (var outcome in result.Steps.Where(s => s.Result != StepResult.DryRun))
            {
                var ok = outcome.Result == StepResult.Succeeded ? "success" : "failure";
                switch (outcome.Step.Kind)
                {
                    case StepKind.Compact:
                        _compactions.WithLabels(ns, name, outcome.Step.Compaction!.Value.ToString().ToLowerInvariant(), ok).Inc();
                        break;
                    case StepKind.Defragment:
                        _defrags.WithLabels(ns, name, outcome.Step.MemberName ?? "", ok).Inc();
                        _defragDuration.WithLabels(ns, name).Observe(outcome.Duration.TotalSeconds);
                        _reclaimed.WithLabels(ns, name).Inc(outcome.ReclaimedBytes ?? 0);
                        break;
                    case StepKind.DisarmNoSpace:
                        // One step disarms every member's alarm.
                        _disarms.WithLabels(ns, name, ok).Inc(Math.Max(1, outcome.Step.MemberIds.Count));
                        break;
                }
            }
            _cycleDuration.WithLabels(ns, name).Observe((result.FinishedAt - result.StartedAt).TotalSeconds);
            if (result.Succeeded)
            {
                _lastSuccess.WithLabels(ns, name).Set(result.FinishedAt.ToUnixTimeMilliseconds() / 1000.0);
            }
            else
            {
                _cycleErrors.WithLabels(ns, name).Inc();
            }
        }
    }

    /// <summary>
    /// Records the analysis' findings: the top groups (their series are removed when they leave
    /// the top, so the label stays bounded by spec.analysis.topKeys) and the forecast.
    /// </summary>
    public void RecordFindings(PolicyKey key, ChurnReport? report, Forecast? forecast, DateTimeOffset now)
    {
        var (ns, name) = (key.Namespace, key.Name);
        lock (_gate)
        {
            var groups = report?.Groups.Where(g => g.WritesPerMinute is not null).ToList() ?? [];
            var current = groups.Select(g => g.Group).ToHashSet();
            foreach (var gone in (_groups.GetValueOrDefault(key) ?? []).Except(current))
            {
                _groupWrites.RemoveLabelled(ns, name, gone);
                _groupNoOp.RemoveLabelled(ns, name, gone);
                _groupHistory.RemoveLabelled(ns, name, gone);
            }
            _groups[key] = current;
            foreach (var group in groups)
            {
                _groupWrites.WithLabels(ns, name, group.Group).Set(group.WritesPerMinute!.Value);
                _groupNoOp.WithLabels(ns, name, group.Group).Set(group.NoOpShare);
                _groupHistory.WithLabels(ns, name, group.Group).Set(group.HistoryBytesPerHour ?? 0);
            }
            if (report is not null)
            {
                _analyzed.WithLabels(ns, name).IncTo(report.Events);
            }
            if (forecast is null)
            {
                _growth.RemoveLabelled(ns, name);
                _exhaustion.RemoveLabelled(ns, name);
                return;
            }
            _growth.WithLabels(ns, name).Set(forecast.BytesPerHour);
            if (forecast.QuotaReachedAt is { } reached)
            {
                _exhaustion.WithLabels(ns, name).Set(Math.Max(0, (reached - now).TotalSeconds));
            }
            else
            {
                _exhaustion.RemoveLabelled(ns, name);
            }
        }
    }

    /// <summary>Removes every series of a policy that is gone.</summary>
    public void Forget(PolicyKey key)
    {
        lock (_gate)
        {
            foreach (var gauge in new[] { _dbSize, _dbInUse, _quota, _fragmentation, _leader, _up, _alarm, _info, _lastSuccess, _groupWrites, _groupNoOp, _groupHistory, _growth, _exhaustion })
            {
                RemoveSeriesOf(gauge, key);
            }
            foreach (var counter in new[] { _compactions, _defrags, _reclaimed, _disarms, _cycleErrors, _analyzed })
            {
                RemoveSeriesOf(counter, key);
            }
            RemoveSeriesOf(_defragDuration, key);
            RemoveSeriesOf(_cycleDuration, key);
            _members.Remove(key);
            _versions.Remove(key);
            _alarms.Remove(key);
            _groups.Remove(key);
        }
    }

    private void RecordMembers(HygienePolicy policy, ClusterSnapshot snapshot)
    {
        var (ns, name) = (policy.Key.Namespace, policy.Key.Name);
        var members = snapshot.Members.Select(m => m.Name.Length > 0 ? m.Name : m.HexId).ToHashSet();
        var known = _members.GetValueOrDefault(policy.Key) ?? [];
        foreach (var removed in known.Except(members))
        {
            foreach (var gauge in new[] { _dbSize, _dbInUse, _quota, _fragmentation, _leader, _up })
            {
                gauge.RemoveLabelled(ns, name, removed);
            }
        }
        _members[policy.Key] = members;
        foreach (var member in snapshot.Members)
        {
            var label = member.Name.Length > 0 ? member.Name : member.HexId;
            _up.WithLabels(ns, name, label).Set(member.Reachable && member.Health.IsHealthy ? 1 : 0);
            _leader.WithLabels(ns, name, label).Set(member.IsLeader ? 1 : 0);
            if (member.Status is { } status)
            {
                _dbSize.WithLabels(ns, name, label).Set(status.DbSizeBytes);
                _dbInUse.WithLabels(ns, name, label).Set(status.DbSizeInUseBytes);
                _fragmentation.WithLabels(ns, name, label).Set(member.FragmentationRatio ?? 0);
            }
            if (policy.QuotaOf(member) is { } quota)
            {
                _quota.WithLabels(ns, name, label).Set(quota);
            }
        }
        // A member that upgrades changes its version label, so the old series goes; a member that
        // did not answer this time keeps the version it last reported.
        var previous = _versions.GetValueOrDefault(policy.Key) ?? [];
        var observed = snapshot.Members.Where(m => m.Status is not null)
            .ToDictionary(m => m.Name.Length > 0 ? m.Name : m.HexId, m => m.Status!.Version);
        var versions = previous.Where(v => members.Contains(v.Member) && !observed.ContainsKey(v.Member))
            .Concat(observed.Select(o => (Member: o.Key, Version: o.Value))).ToHashSet();
        foreach (var (member, version) in previous.Except(versions))
        {
            _info.RemoveLabelled(ns, name, member, version);
        }
        _versions[policy.Key] = versions;
        foreach (var (member, version) in versions)
        {
            _info.WithLabels(ns, name, member, version).Set(1);
        }
        var alarms = snapshot.AlarmsKnown
            ? snapshot.Alarms.Select(a => (Member: snapshot.Member(a.MemberId)?.Name is { Length: > 0 } n ? n : a.MemberId.ToString("x"), Alarm: a.Alarm.WireName())).ToHashSet()
            : _alarms.GetValueOrDefault(policy.Key) ?? [];
        foreach (var cleared in (_alarms.GetValueOrDefault(policy.Key) ?? []).Except(alarms))
        {
            _alarm.RemoveLabelled(ns, name, cleared.Member, cleared.Alarm);
        }
        foreach (var (member, alarm) in alarms)
        {
            _alarm.WithLabels(ns, name, member, alarm).Set(1);
        }
        _alarms[policy.Key] = alarms;
    }

    private static void RemoveSeriesOf<TChild>(Collector<TChild> collector, PolicyKey key) where TChild : ChildBase
    {
        foreach (var labels in collector.GetAllLabelValues().Where(l => l[0] == key.Namespace && l[1] == key.Name).ToList())
        {
            collector.RemoveLabelled(labels);
        }
    }
}
