using System.Text;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Reporting;

/// <summary>What <c>etcd-hygiene check</c> prints: the members as observed, then the plan with its reasons.</summary>
public static class CheckReport
{
    /// <summary>Renders one policy's observation and plan.</summary>
    public static string Render(HygienePolicy policy, ClusterSnapshot snapshot, HygienePlan plan)
    {
        var text = new StringBuilder();
        text.AppendLine($"Policy {policy.Key} — observed {snapshot.ObservedAt:u}, revision {Show(snapshot.Revision)}, compacted up to {Show(snapshot.CompactRevision)}");
        var table = new TextTable("MEMBER", "ENDPOINT", "LEADER", "VERSION", "SIZE", "IN USE", "FRAGMENTED", "QUOTA", "QUOTA %", "HEALTH", "ALARMS");
        foreach (var member in snapshot.Members)
        {
            var quota = policy.QuotaOf(member);
            var alarms = string.Join(",", snapshot.Alarms.Where(a => a.MemberId == member.Id).Select(a => a.Alarm.WireName()));
            var role = member.IsLeader ? "leader" : member.IsLearner ? "learner" : "";
            table.Add(
                member.DisplayName,
                (member.Endpoint ?? "-") + (member.EndpointSource == EndpointSource.ConfiguredFallback ? " (fallback)" : ""),
                role,
                member.Status?.Version ?? "-",
                Bytes(member.Status?.DbSizeBytes),
                Bytes(member.Status?.DbSizeInUseBytes),
                member.FragmentationRatio is { } f ? $"{f * 100:0}%" : "-",
                Bytes(quota) + (member.QuotaBytes is null && quota is not null ? " (policy)" : ""),
                policy.QuotaUsageOf(member) is { } usage ? $"{usage * 100:0}%" : "-",
                member.Reachable ? member.Health.State.ToString().ToLowerInvariant() : "unreachable",
                alarms.Length > 0 ? alarms : "-");
        }
        text.Append(table);
        foreach (var member in snapshot.Members.Where(m => m.EndpointNote is not null))
        {
            text.AppendLine($"  {member.Name}: {member.EndpointNote}");
        }
        // "unhealthy" alone leaves a person guessing: say what the health read met.
        foreach (var member in snapshot.Members.Where(m => m.Reachable && !m.Health.IsHealthy && m.Health.Reason is not null))
        {
            text.AppendLine($"  {member.DisplayName}: {member.Health.State.ToString().ToLowerInvariant()}: {member.Health.Reason}");
        }
        foreach (var problem in snapshot.Problems)
        {
            text.AppendLine($"  ! {problem}");
        }
        text.AppendLine();
        if (plan.Steps.Count == 0 && snapshot.Alarms.Count > 0)
        {
            var alarms = string.Join(", ", snapshot.Alarms.Select(a => a.Alarm.WireName()).Distinct());
            text.AppendLine($"Plan: {alarms} is active and nothing etcd-hygiene may do clears it: a person must act (the warnings below say why).");
        }
        else if (plan.Steps.Count == 0)
        {
            text.AppendLine("Plan: nothing to do.");
        }
        else
        {
            text.AppendLine($"Plan ({plan.Steps.Count} {(plan.Steps.Count == 1 ? "step" : "steps")}, executed one at a time, re-checking the cluster before each):");
            for (var i = 0; i < plan.Steps.Count; i++)
            {
                var step = plan.Steps[i];
                text.AppendLine($"  {i + 1}. {(step.IsWarning ? "! " : "")}{step.Title}");
                text.AppendLine($"     why: {step.Reason}");
            }
        }
        foreach (var note in plan.Notes)
        {
            text.AppendLine($"  {(note.Severity == NoteSeverity.Warning ? "!" : "-")} {note.Code}: {note.Message}");
        }
        return text.ToString();
    }

    private static string Bytes(long? bytes) => bytes is { } b ? Quantity.FormatBytes(b) : "-";

    private static string Show(long? value) => value?.ToString() ?? "unknown";
}
