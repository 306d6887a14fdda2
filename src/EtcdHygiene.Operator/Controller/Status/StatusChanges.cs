using System.Globalization;
using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Operator.Reporting;
using EtcdHygiene.Operator.Supervision;

namespace EtcdHygiene.Operator.Controller.Status;

/// <summary>
/// Every change the operator makes to a RegistryPolicy's status, each a small function from the
/// status as it is to the status as it should be (every field it does not own kept as it was),
/// applied by the one <see cref="PolicyStatusWriter"/>. The kept state's own fields are mapped by
/// <see cref="KeptStateStatus"/>, both ways.
/// </summary>
public static class StatusChanges
{
    /// <summary>
    /// The kept history of <paramref name="state"/> written into status: what the operator saves in
    /// the middle of a cycle, so that a replica killed there restarts knowing what it already did.
    /// </summary>
    public static Func<RegistryPolicyStatus, RegistryPolicyStatus> WithState(HygieneState state) =>
        status => KeptStateStatus.Write(status, state, addMembers: true);

    /// <summary>What the operator saw and did in <paramref name="result"/>: conditions, members, the kept state.</summary>
    public static Func<RegistryPolicyStatus, RegistryPolicyStatus> AfterCycle(HygienePolicy policy, CycleResult result, DateTimeOffset now) =>
        previous => KeptStateStatus.Write(CycleStatus(policy, result, previous, now), result.State, addMembers: false);

    /// <summary>
    /// The analysis' findings: hot key groups, the growth forecast and the ChurnDetected condition.
    /// A null report means the policy analyses no prefixes.
    /// </summary>
    public static Func<RegistryPolicyStatus, RegistryPolicyStatus> WithFindings(long generation, ChurnFindings findings, DateTimeOffset now) =>
        status => WithFindings(status, generation, findings.Report, findings.Problem, findings.Forecast, now, findings.Stuck);

    /// <summary>An invalid spec: the problems, and every other field as it was (the kept state above all).</summary>
    public static Func<RegistryPolicyStatus, RegistryPolicyStatus> InvalidSpec(long generation, IReadOnlyList<string> problems, DateTimeOffset now) =>
        status =>
        {
            var conditions = status.Conditions ?? [];
            Conditions.Set(conditions, ConditionType.InvalidSpec, true, ConditionReason.InvalidSpec, string.Join("; ", problems), generation, now);
            Conditions.Set(conditions, ConditionType.Ready, false, ConditionReason.InvalidSpec, "the spec is invalid; nothing is done to etcd until it is fixed", generation, now);
            status.Conditions = conditions;
            status.ObservedGeneration = generation;
            return status;
        };

    /// <summary>The policy is outside the tenancy rules: not Ready, and the setting that refused it.</summary>
    public static Func<RegistryPolicyStatus, RegistryPolicyStatus> NotAllowed(long generation, string refusal, DateTimeOffset now) =>
        status =>
        {
            var conditions = status.Conditions ?? [];
            Conditions.Set(conditions, ConditionType.Ready, false, ConditionReason.NotAllowed, $"not allowed: {refusal}; nothing is done to etcd", generation, now);
            status.Conditions = conditions;
            status.ObservedGeneration = generation;
            return status;
        };

    /// <summary>A Secret the policy names cannot be used: not Ready, and why.</summary>
    public static Func<RegistryPolicyStatus, RegistryPolicyStatus> SecretUnavailable(long generation, string problem, DateTimeOffset now) =>
        status =>
        {
            var conditions = status.Conditions ?? [];
            Conditions.Set(conditions, ConditionType.Ready, false, ConditionReason.SecretUnavailable, problem, generation, now);
            status.Conditions = conditions;
            status.ObservedGeneration = generation;
            return status;
        };

    private static RegistryPolicyStatus CycleStatus(HygienePolicy policy, CycleResult result, RegistryPolicyStatus previous, DateTimeOffset now)
    {
        var snapshot = result.Final;
        var conditions = previous.Conditions ?? [];
        var generation = policy.Generation;
        var noSpace = snapshot.HasNoSpaceAlarm;
        var corrupt = snapshot.Alarms.Any(a => a.Alarm == AlarmKind.Corrupt);
        var unwell = snapshot.Members.Where(m => !m.Reachable || !m.Health.IsHealthy).ToList();
        var failed = result.Steps.FirstOrDefault(s => s.Result == StepResult.Failed);
        var blocked = result.Notes.FirstOrDefault(n => n.Code == NoteCode.DefragBlocked);
        var pressured = snapshot.Members.Where(m => policy.QuotaUsageOf(m) >= policy.Defragmentation.QuotaUsageAbove).ToList();

        var (ready, readyReason, readyMessage) =
            failed is not null ? (false, ConditionReason.StepFailed, $"{failed.Step.Title} failed: {failed.Error}")
            : corrupt ? (false, ConditionReason.CorruptAlarm, result.Notes.FirstOrDefault(n => n.Code == NoteCode.CorruptAlarm)?.Message ?? "a member raised the CORRUPT alarm")
            : noSpace ? (false, ConditionReason.NoSpaceAlarm, result.Notes.FirstOrDefault(n => n.Code is NoteCode.NoSpacePersists or NoteCode.NoSpaceAlarm)?.Message ?? "NOSPACE is active")
            : !result.Succeeded ? (false, ConditionReason.ClusterUnreachable, string.Join("; ", result.Notes.Where(n => n.Severity == NoteSeverity.Warning).Select(n => n.Message)))
            : (true, ConditionReason.CycleSucceeded, $"{snapshot.Members.Count} members observed; {result.Steps.Count} steps in the last cycle");
        Conditions.Set(conditions, ConditionType.Ready, ready, readyReason, readyMessage, generation, now);
        Conditions.Set(conditions, ConditionType.Degraded, unwell.Count > 0, unwell.Count > 0 ? ConditionReason.MemberUnavailable : ConditionReason.AllMembersHealthy,
            unwell.Count > 0 ? string.Join("; ", unwell.Select(m => $"{m.DisplayName}: {(m.Reachable ? m.Health.Reason : m.EndpointNote)}")) : "every member answers and serves linearizable reads",
            generation, now);
        var elsewhere = result.Notes.FirstOrDefault(n => n.Code == NoteCode.MaintainedElsewhere);
        var (progressReason, progressMessage) =
            result.Steps.Count > 0 ? (ConditionReason.StepsExecuted, string.Join("; ", result.Steps.Select(s => $"{s.Step.Title}: {s.Result}")))
            : elsewhere is not null ? (ConditionReason.MaintainedElsewhere, elsewhere.Message)
            : (ConditionReason.Idle, "nothing to do in the last cycle");
        Conditions.Set(conditions, ConditionType.Progressing, result.Steps.Count > 0, progressReason, progressMessage, generation, now);
        Conditions.Set(conditions, ConditionType.QuotaPressure, pressured.Count > 0, pressured.Count > 0 ? ConditionReason.AboveQuotaUsageThreshold : ConditionReason.BelowQuotaUsageThreshold,
            pressured.Count > 0 ? string.Join(", ", pressured.Select(m => $"{m.DisplayName} at {policy.QuotaUsageOf(m):P0} of quota")) : "every member below the quota usage threshold", generation, now);
        Conditions.Set(conditions, ConditionType.NoSpaceAlarm, noSpace, noSpace ? ConditionReason.NoSpaceActive : ConditionReason.NoAlarm,
            noSpace ? "etcd refuses writes until NOSPACE is disarmed" : "no NOSPACE alarm", generation, now);
        Conditions.Set(conditions, ConditionType.DefragBlocked, blocked is not null, blocked is not null ? ConditionReason.DefragBlocked : ConditionReason.NotBlocked,
            blocked?.Message ?? "defragmentation is not blocked", generation, now);
        Conditions.Set(conditions, ConditionType.InvalidSpec, false, ConditionReason.SpecValid, "the spec is valid", generation, now);

        var largest = snapshot.Members.Where(m => m.Reachable).MaxBy(m => m.Status!.DbSizeBytes);
        var highestUsage = snapshot.Members.Select(m => policy.QuotaUsageOf(m)).Where(u => u is not null).Max();
        return new RegistryPolicyStatus
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
                Version = m.Status?.Version,
                DbSizeBytes = m.Status?.DbSizeBytes,
                DbSizeInUseBytes = m.Status?.DbSizeInUseBytes,
                FragmentationRatio = m.FragmentationRatio?.ToString("0.00", CultureInfo.InvariantCulture),
                QuotaUsageRatio = policy.QuotaUsageOf(m)?.ToString("0.00", CultureInfo.InvariantCulture),
                Alarms = snapshot.Alarms.Where(a => a.MemberId == m.Id).Select(a => a.Alarm.WireName()).ToList(),
            }).ToList(),
            Revision = snapshot.Revision,
            CompactedRevision = snapshot.CompactRevision ?? result.State.LastCompactedRevision,
            LargestDbSize = largest is null ? null : Quantity.FormatBytes(largest.Status!.DbSizeBytes),
            QuotaPercent = highestUsage is { } usage ? (int)Math.Round(usage * 100) : null,
            Alarm = snapshot.Alarms.Count == 0 ? "" : string.Join(",", snapshot.Alarms.Select(a => a.Alarm.WireName()).Distinct()),
            // The analysis owns these; a cycle leaves them as they were until WithFindings.
            HotKeys = previous.HotKeys,
            Forecast = previous.Forecast,
        };
    }

    /// <summary>The findings written into <paramref name="status"/>.</summary>
    /// <param name="stuck">True when <paramref name="problem"/> is one retrying cannot cure: the analysis says Unknown even with writes read before it.</param>
    public static RegistryPolicyStatus WithFindings(RegistryPolicyStatus status, long generation, ChurnReport? report, string? problem, Forecast? forecast, DateTimeOffset now,
        bool stuck = false)
    {
        var conditions = status.Conditions ?? [];
        var churning = report?.Churning ?? [];
        var (value, reason, message) = report is null ? (ConditionStatus.False, ConditionReason.AnalysisDisabled, "spec.analysis.prefixes is empty: no churn analysis")
            : churning.Count > 0 ? (ConditionStatus.True, ConditionReason.NoOpRewrites, ChurnRule.Describe(churning[0]) + (churning.Count > 1 ? $" (and {churning.Count - 1} more groups)" : ""))
            : problem is not null && (report.Events == 0 || stuck) ? (ConditionStatus.Unknown, ConditionReason.AnalysisUnavailable, $"the churn analysis cannot read etcd: {problem}")
            : (ConditionStatus.False, ConditionReason.NoChurn, "no key group rewrites unchanged content often");
        Conditions.Set(conditions, ConditionType.ChurnDetected, value, reason, message, generation, now);
        status.Conditions = conditions;
        status.HotKeys = (report?.Groups ?? []).Select(HotKeys.Of).ToList();
        status.Forecast = forecast is null ? null : new ForecastStatus
        {
            BytesPerHour = (long)forecast.BytesPerHour,
            QuotaReachedAt = StatusTime.Write(forecast.QuotaReachedAt),
        };
        return status;
    }
}
