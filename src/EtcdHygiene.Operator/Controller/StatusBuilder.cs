using System.Globalization;
using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Controller;

/// <summary>Turns a cycle's result into RegistryPolicy status, and status back into the kept history.</summary>
public static class StatusBuilder
{
    private const string TimeFormat = "yyyy-MM-ddTHH:mm:ssZ";

    /// <summary>The kept history stored in <paramref name="status"/> (revision samples survive operator restarts there).</summary>
    public static HygieneState StateFrom(RegistryPolicyStatus? status) => new()
    {
        Samples = (status?.RevisionSamples ?? [])
            .Where(s => s.Time is not null && s.Revision is not null)
            .Select(s => new RevisionSample(DateTimeOffset.Parse(s.Time!, CultureInfo.InvariantCulture), s.Revision!.Value))
            .ToList(),
        LastCompactionTime = Parse(status?.LastCompactionTime),
        LastCompactedRevision = status?.CompactedRevision,
        LastDefragTime = Parse(status?.LastDefrag?.Time),
        LastDefragReclaimedBytes = status?.LastDefrag?.ReclaimedBytes,
        LastDefragTimes = (status?.Members ?? [])
            .Where(m => m.Id is not null && m.LastDefragTime is not null)
            .ToDictionary(m => m.Id!, m => DateTimeOffset.Parse(m.LastDefragTime!, CultureInfo.InvariantCulture)),
        UnfinishedDefrag = status?.UnfinishedDefrag is { MemberId: { } id, StartedAt: { } started } unfinished
            ? new DefragStart(id, unfinished.MemberName ?? "", DateTimeOffset.Parse(started, CultureInfo.InvariantCulture))
            : null,
    };

    /// <summary>
    /// <paramref name="status"/> with the kept history of <paramref name="state"/> written into it,
    /// every other field as it was: what the operator saves in the middle of a cycle, so that a
    /// replica killed there restarts knowing what it already did.
    /// </summary>
    public static RegistryPolicyStatus WithState(RegistryPolicyStatus status, HygieneState state) => WithState(status, state, addMembers: true);

    /// <summary>
    /// <paramref name="addMembers"/>: whether a member the state knows and the status does not is
    /// added (mid-cycle, before the first full status exists) or left out (a member no longer in the cluster).
    /// </summary>
    private static RegistryPolicyStatus WithState(RegistryPolicyStatus status, HygieneState state, bool addMembers)
    {
        var members = status.Members ?? [];
        foreach (var (id, time) in state.LastDefragTimes)
        {
            var member = members.FirstOrDefault(m => m.Id == id);
            if (member is null && addMembers)
            {
                member = new MemberStatusEntry { Id = id };
                members.Add(member);
            }
            member?.LastDefragTime = Precise(time);
        }
        status.Members = members;
        if (state.LastCompactedRevision is { } compacted && compacted > (status.CompactedRevision ?? 0))
        {
            status.CompactedRevision = compacted;
        }
        status.LastCompactionTime = Precise(state.LastCompactionTime);
        status.LastDefrag = state.LastDefragTime is null ? null : new LastDefragStatus { Time = Precise(state.LastDefragTime), ReclaimedBytes = state.LastDefragReclaimedBytes };
        status.UnfinishedDefrag = state.UnfinishedDefrag is not { } unfinished ? null : new UnfinishedDefragStatus
        {
            MemberId = unfinished.MemberId,
            MemberName = unfinished.MemberName,
            StartedAt = Precise(unfinished.StartedAt),
        };
        status.RevisionSamples = state.Samples.Select(s => new RevisionSampleStatus { Time = Precise(s.At), Revision = s.Revision }).ToList();
        return status;
    }

    /// <summary>The status after <paramref name="result"/>.</summary>
    public static RegistryPolicyStatus From(HygienePolicy policy, CycleResult result, RegistryPolicyStatus? previous, DateTimeOffset now)
    {
        var snapshot = result.Final;
        var state = result.State;
        var conditions = (previous?.Conditions ?? []).ToList();
        var generation = policy.Generation;
        var noSpace = snapshot.HasNoSpaceAlarm;
        var corrupt = snapshot.Alarms.Any(a => a.Alarm == AlarmKind.Corrupt);
        var unwell = snapshot.Members.Where(m => !m.Reachable || !m.Health.IsHealthy).ToList();
        var failed = result.Steps.FirstOrDefault(s => s.Result == StepResult.Failed);
        var blocked = result.Notes.FirstOrDefault(n => n.Code == "DefragBlocked");
        var pressured = snapshot.Members.Where(m => policy.QuotaUsageOf(m) >= policy.Defragmentation.QuotaUsageAbove).ToList();

        var (ready, readyReason, readyMessage) =
            failed is not null ? (false, "StepFailed", $"{failed.Step.Title} failed: {failed.Error}")
            : corrupt ? (false, "CorruptAlarm", result.Notes.FirstOrDefault(n => n.Code == "CorruptAlarm")?.Message ?? "a member raised the CORRUPT alarm")
            : noSpace ? (false, "NoSpaceAlarm", result.Notes.FirstOrDefault(n => n.Code is "NoSpacePersists" or "NoSpaceAlarm")?.Message ?? "NOSPACE is active")
            : !result.Succeeded ? (false, "ClusterUnreachable", string.Join("; ", result.Notes.Where(n => n.Severity == NoteSeverity.Warning).Select(n => n.Message)))
            : (true, "CycleSucceeded", $"{snapshot.Members.Count} members observed; {result.Steps.Count} steps in the last cycle");
        Conditions.Set(conditions, Conditions.Ready, ready, readyReason, readyMessage, generation, now);
        Conditions.Set(conditions, Conditions.Degraded, unwell.Count > 0, unwell.Count > 0 ? "MemberUnavailable" : "AllMembersHealthy",
            unwell.Count > 0 ? string.Join("; ", unwell.Select(m => $"{Display(m)}: {(m.Reachable ? m.Health.Reason : m.EndpointNote)}")) : "every member answers and serves linearizable reads",
            generation, now);
        Conditions.Set(conditions, Conditions.Progressing, result.Steps.Count > 0, result.Steps.Count > 0 ? "StepsExecuted" : "Idle",
            result.Steps.Count > 0 ? string.Join("; ", result.Steps.Select(s => $"{s.Step.Title}: {s.Result}")) : "nothing to do in the last cycle", generation, now);
        Conditions.Set(conditions, Conditions.QuotaPressure, pressured.Count > 0, pressured.Count > 0 ? "AboveQuotaUsageThreshold" : "BelowQuotaUsageThreshold",
            pressured.Count > 0 ? string.Join(", ", pressured.Select(m => $"{Display(m)} at {policy.QuotaUsageOf(m):P0} of quota")) : "every member below the quota usage threshold", generation, now);
        Conditions.Set(conditions, Conditions.NoSpaceAlarm, noSpace, noSpace ? "NoSpaceActive" : "NoAlarm",
            noSpace ? "etcd refuses writes until NOSPACE is disarmed" : "no NOSPACE alarm", generation, now);
        Conditions.Set(conditions, Conditions.DefragBlocked, blocked is not null, blocked is not null ? "DefragBlocked" : "NotBlocked",
            blocked?.Message ?? "defragmentation is not blocked", generation, now);
        Conditions.Set(conditions, Conditions.InvalidSpec, false, "SpecValid", "the spec is valid", generation, now);

        var largest = snapshot.Members.Where(m => m.Reachable).MaxBy(m => m.Status!.DbSizeBytes);
        var highestUsage = snapshot.Members.Select(m => policy.QuotaUsageOf(m)).Where(u => u is not null).Max();
        var status = new RegistryPolicyStatus
        {
            ObservedGeneration = generation,
            Conditions = conditions,
            Members = snapshot.Members.Select(m => new MemberStatusEntry
            {
                Id = m.HexId,
                Name = m.Name,
                Endpoint = m.Endpoint,
                IsLeader = m.IsLeader,
                IsLearner = m.IsLearner,
                DbSizeBytes = m.Status?.DbSizeBytes,
                DbSizeInUseBytes = m.Status?.DbSizeInUseBytes,
                FragmentationRatio = m.FragmentationRatio?.ToString("0.00", CultureInfo.InvariantCulture),
                QuotaUsageRatio = policy.QuotaUsageOf(m)?.ToString("0.00", CultureInfo.InvariantCulture),
                Alarms = snapshot.Alarms.Where(a => a.MemberId == m.Id).Select(a => a.Alarm.ToString().ToUpperInvariant()).ToList(),
            }).ToList(),
            Revision = snapshot.Revision,
            CompactedRevision = snapshot.CompactRevision ?? state.LastCompactedRevision,
            LargestDbSize = largest is null ? null : Quantity.FormatBytes(largest.Status!.DbSizeBytes),
            QuotaPercent = highestUsage is { } usage ? (int)Math.Round(usage * 100) : null,
            Alarm = snapshot.Alarms.Count == 0 ? "" : string.Join(",", snapshot.Alarms.Select(a => a.Alarm.ToString().ToUpperInvariant()).Distinct()),
        };
        return WithState(status, state, addMembers: false);
    }

    /// <summary>
    /// <paramref name="status"/> with the analysis' findings: hot key groups, the growth forecast
    /// and the ChurnDetected condition. <paramref name="report"/> is null when the policy analyses
    /// no prefixes; <paramref name="problem"/> says why the analysis cannot read etcd.
    /// </summary>
    public static RegistryPolicyStatus WithFindings(RegistryPolicyStatus status, long generation, ChurnReport? report, string? problem, Forecast? forecast, DateTimeOffset now)
    {
        var conditions = (status.Conditions ?? []).ToList();
        var churning = report?.Churning ?? [];
        var (value, reason, message) = report is null ? ("False", "AnalysisDisabled", "spec.analysis.prefixes is empty: no churn analysis")
            : churning.Count > 0 ? ("True", "NoOpRewrites", ChurnRule.Describe(churning[0]) + (churning.Count > 1 ? $" (and {churning.Count - 1} more groups)" : ""))
            : problem is not null && report.Events == 0 ? ("Unknown", "AnalysisUnavailable", $"the churn analysis cannot read etcd: {problem}")
            : ("False", "NoChurn", "no key group rewrites unchanged content often");
        Conditions.Set(conditions, Conditions.ChurnDetected, value, reason, message, generation, now);
        status.Conditions = conditions;
        status.HotKeys = (report?.Groups ?? []).Select(g => new HotKeyStatus
        {
            KeyGroup = g.Group,
            Writes = g.Writes,
            WritesPerMinute = g.WritesPerMinute is { } rate ? (long)Math.Round(rate) : null,
            IdenticalRatio = Ratio(g.Share(WriteKind.IdenticalRewrite)),
            ReorderOnlyRatio = Ratio(g.Share(WriteKind.ReorderOnlyRewrite)),
            LeaseRecreatedRatio = Ratio(g.Share(WriteKind.LeaseRecreated)),
            HistoryBytesPerHour = g.HistoryBytesPerHour is { } perHour ? (long)perHour : null,
        }).ToList();
        status.Forecast = forecast is null ? null : new ForecastStatus
        {
            BytesPerHour = (long)forecast.BytesPerHour,
            QuotaReachedAt = Format(forecast.QuotaReachedAt),
        };
        return status;
    }

    private static string Ratio(double share) => share.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>The status of an invalid spec: the problems, and every other field as it was.</summary>
    public static RegistryPolicyStatus Invalid(RegistryPolicyStatus? previous, long generation, IReadOnlyList<string> problems, DateTimeOffset now)
    {
        var status = previous ?? new RegistryPolicyStatus();
        var conditions = (status.Conditions ?? []).ToList();
        Conditions.Set(conditions, Conditions.InvalidSpec, true, "InvalidSpec", string.Join("; ", problems), generation, now);
        Conditions.Set(conditions, Conditions.Ready, false, "InvalidSpec", "the spec is invalid; nothing is done to etcd until it is fixed", generation, now);
        status.Conditions = conditions;
        status.ObservedGeneration = generation;
        return status;
    }

    private static string Display(MemberSnapshot member) => string.IsNullOrEmpty(member.Name) ? member.HexId : member.Name;

    private static DateTimeOffset? Parse(string? text) =>
        text is null ? null : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private static string? Format(DateTimeOffset? time) => time?.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    // Full precision for what feeds the kept state: a sample rounded down would look older than it
    // is and let compaction reach into the retention window; a defragmentation time rounded down
    // would shorten the pause before the next member.
    private static string? Precise(DateTimeOffset? time) => time?.UtcDateTime.ToString("o", CultureInfo.InvariantCulture);
}
