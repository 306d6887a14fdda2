using System.Globalization;

namespace EtcdHygiene.Etcd;

/// <summary>
/// Reads the two facts hygiene needs from a member's Prometheus text that etcd 3.4's Status lacks:
/// the backend quota (<c>etcd_server_quota_backend_bytes 2.147483648e+09</c>) and the revision
/// history is compacted up to (<c>etcd_debugging_mvcc_compact_revision</c>, -1 before any compaction).
/// </summary>
public static class MemberMetrics
{
    /// <summary>The metric etcd exports its --quota-backend-bytes as.</summary>
    public const string QuotaName = "etcd_server_quota_backend_bytes";

    /// <summary>The metric etcd exports its compacted revision as.</summary>
    public const string CompactRevisionName = "etcd_debugging_mvcc_compact_revision";

    /// <summary>Counts compactions the member has finished applying (physically, not just scheduled).</summary>
    public const string FinishedCompactionsName = "etcd_debugging_mvcc_db_compaction_total_duration_milliseconds_count";

    /// <summary>True for the lines of the Prometheus text this class reads (the rest can be dropped unread).</summary>
    public static bool IsRead(string line) =>
        line.StartsWith(QuotaName, StringComparison.Ordinal) || line.StartsWith(CompactRevisionName, StringComparison.Ordinal)
        || line.StartsWith(FinishedCompactionsName, StringComparison.Ordinal);

    /// <summary>The quota in bytes, or null when the text does not carry a usable sample.</summary>
    public static long? Quota(string prometheusText) => Gauge(prometheusText, QuotaName) is { } bytes && bytes > 0 ? (long)bytes : null;

    /// <summary>The compacted revision, or null before the first compaction or when absent.</summary>
    public static long? CompactRevision(string prometheusText) => Gauge(prometheusText, CompactRevisionName) is { } revision && revision > 0 ? (long)revision : null;

    /// <summary>How many compactions the member finished applying since it started, or null when absent.</summary>
    public static long? FinishedCompactions(string prometheusText) => Gauge(prometheusText, FinishedCompactionsName) is { } count && count >= 0 ? (long)count : null;

    /// <summary>The first finite sample of an unlabelled or labelled gauge named <paramref name="name"/>.</summary>
    public static double? Gauge(string prometheusText, string name)
    {
        var Name = name;
        foreach (var rawLine in prometheusText.AsSpan().EnumerateLines())
        {
            var line = rawLine.Trim();
            if (!line.StartsWith(Name, StringComparison.Ordinal))
            {
                continue;
            }
            var rest = line[Name.Length..];
            // Skip "etcd_server_quota_backend_bytes_other" and take the value after optional labels.
            if (rest.Length == 0 || (rest[0] != ' ' && rest[0] != '{'))
            {
                continue;
            }
            var labelsEnd = rest[0] == '{' ? rest.IndexOf('}') : -1;
            if (rest[0] == '{' && labelsEnd < 0)
            {
                continue;
            }
            var fields = rest[(labelsEnd + 1)..].Trim();
            var end = fields.IndexOf(' ');
            var value = end < 0 ? fields : fields[..end];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var bytes)
                && double.IsFinite(bytes))
            {
                return bytes;
            }
        }
        return null;
    }
}
