using System.Globalization;
using System.Text;
using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Analysis.Paths;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Reporting;

/// <summary>
/// The analyzer's findings as text: groups ranked by waste, the top keys, and per churning group
/// the sentence to act on with the JSON paths its writes flip.
/// </summary>
public static class ChurnTable
{
    /// <summary>Renders <paramref name="report"/>.</summary>
    public static string Render(ChurnReport report, string? note = null)
    {
        var text = new StringBuilder();
        var revisions = report.Revisions is { } r ? $"revisions {r.First}..{r.Last}" : "no writes";
        var covered = report.Covered is { } c ? $"over the last {GoDuration.Format(c)}" : "just now";
        text.AppendLine($"Analysed {report.Events:N0} writes ({revisions}), {covered}.{(note is null ? "" : " " + note)}");
        var undated = report.Groups.Sum(g => g.UndatedWrites);
        if (undated > 0)
        {
            text.AppendLine($"{undated:N0} replayed writes could not be dated (no earlier revisions to date them by): they count in WRITES and the shares, not in PER MIN.");
        }
        if (report.Groups.Count == 0)
        {
            text.AppendLine("No writes under the prefixes.");
            return text.ToString();
        }
        var groups = new TextTable("#", "KEY GROUP", "WRITES", "PER MIN", "NO-OP", "IDENTICAL", "REORDER-ONLY", "LEASE-RECREATED", "CHANGED", "HISTORY/H", "OF HISTORY");
        var rank = 0;
        foreach (var group in report.Groups)
        {
            groups.Add((++rank).ToString(CultureInfo.InvariantCulture), group.Group, group.Writes.ToString("N0", CultureInfo.InvariantCulture),
                group.WritesPerMinute is { } rate && group.Writes > group.UndatedWrites ? rate.ToString("0.#", CultureInfo.InvariantCulture) : "-",
                Percent(group.NoOpShare), Percent(group.Share(WriteKind.IdenticalRewrite)), Percent(group.Share(WriteKind.ReorderOnlyRewrite)),
                Percent(group.Share(WriteKind.LeaseRecreated)), Percent(group.Share(WriteKind.Changed)),
                group.HistoryBytesPerHour is { } perHour && group.Writes > group.UndatedWrites ? Quantity.FormatBytes((long)perHour) : Quantity.FormatBytes(group.HistoryBytes) + " total",
                Percent(group.HistoryShare));
        }
        text.Append(groups);
        if (report.ErrorBound > 0)
        {
            text.AppendLine($"(counts may miss up to {report.ErrorBound:N0} writes each: more groups than counters)");
        }
        text.AppendLine();
        var keys = new TextTable("KEY", "WRITES");
        foreach (var (key, writes) in report.Keys)
        {
            keys.Add(key, writes.ToString("N0", CultureInfo.InvariantCulture));
        }
        text.Append(keys);
        var churning = report.Churning;
        text.AppendLine();
        if (churning.Count == 0)
        {
            text.AppendLine("No churn: no group rewrites unchanged content often.");
        }
        foreach (var group in churning)
        {
            text.AppendLine("CHURN: " + ChurnRule.Describe(group));
            foreach (var path in group.Paths)
            {
                text.AppendLine($"  {path.Path} {(path.Kind == FlipKind.Reordered ? "reordered" : "changed")} in {path.Writes:N0} of {path.Examined:N0} sampled " +
                    $"{(path.Kind == FlipKind.Reordered ? "reorder-only" : "changed")} writes");
                text.AppendLine($"    before: {path.Before}");
                text.AppendLine($"    after:  {path.After}");
            }
        }
        return text.ToString();
    }

    private static string Percent(double share) => share.ToString("0%", CultureInfo.InvariantCulture);
}
