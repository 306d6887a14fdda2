using System.Globalization;

namespace EtcdHygiene.Core.Policy;

/// <summary>
/// Kubernetes resource quantities for byte sizes: <c>100Mi</c>, <c>2Gi</c>, <c>500M</c>, <c>1.5Gi</c>,
/// <c>1024</c>. Core stays free of the Kubernetes client, so the small grammar lives here.
/// </summary>
public static class Quantity
{
    private static readonly (string Suffix, decimal Factor)[] Suffixes =
    [
        ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
        ("Pi", 1024m * 1024 * 1024 * 1024 * 1024), ("Ei", 1024m * 1024 * 1024 * 1024 * 1024 * 1024),
        ("k", 1e3m), ("M", 1e6m), ("G", 1e9m), ("T", 1e12m), ("P", 1e15m), ("E", 1e18m),
    ];

    /// <summary>Parses a byte quantity; false for anything else, negative or fractional bytes included.</summary>
    public static bool TryParseBytes(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var value = text.Trim();
        var factor = 1m;
        foreach (var (suffix, multiplier) in Suffixes)
        {
            if (value.EndsWith(suffix, StringComparison.Ordinal))
            {
                value = value[..^suffix.Length];
                factor = multiplier;
                break;
            }
        }
        if (value.Length == 0 || !char.IsAsciiDigit(value[0]) && value[0] != '.'
            || !decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        try
        {
            var total = number * factor;
            if (total != decimal.Truncate(total) || total > long.MaxValue)
            {
                return false;
            }
            bytes = (long)total;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>Formats bytes the way people read them: 16.0 MiB, 512 B.</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
