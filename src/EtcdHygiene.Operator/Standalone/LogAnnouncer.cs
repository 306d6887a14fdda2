using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Operator.Supervision;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Standalone;

/// <summary><c>run</c>'s announcer: findings as log lines, one per churning group and one summary per cycle.</summary>
public sealed class LogAnnouncer(ILogger logger) : IFindingsAnnouncer
{
    /// <inheritdoc />
    public Task BeforeNoSpaceCompactionAsync(HygienePolicy policy, ChurnFindings findings)
    {
        LogChurn(policy, findings.ToAnnounce, "before the NOSPACE compaction");
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task CycleFinishedAsync(HygienePolicy policy, CycleResult result, ChurnFindings findings)
    {
        LogChurn(policy, findings.ToAnnounce, "over the analysis window");
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
        return Task.CompletedTask;
    }

    private void LogChurn(HygienePolicy policy, IReadOnlyList<GroupFinding> churning, string when)
    {
        foreach (var group in churning)
        {
            logger.LogWarning("Policy {Policy}: churn {When}: {Finding}", policy.Key, when, ChurnRule.Describe(group) + ChurnRule.Example(group));
        }
    }
}
