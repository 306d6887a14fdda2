using System.Globalization;

namespace EtcdHygiene.Etcd;

/// <summary>
/// Reads the backend quota from a member's Prometheus text. etcd before 3.6 reports the quota only
/// there, as <c>etcd_server_quota_backend_bytes 2.147483648e+09</c>.
/// </summary>
public static class QuotaMetric
{
    /// <summary>The metric etcd exports its --quota-backend-bytes as.</summary>
    public const string Name = "etcd_server_quota_backend_bytes";

    /// <summary>The quota in bytes, or null when the text does not carry a usable sample.</summary>
    public static long? Parse(string prometheusText)
    {
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
                && double.IsFinite(bytes) && bytes > 0)
            {
                return (long)bytes;
            }
        }
        return null;
    }
}
