using System.Globalization;
using System.Text;

namespace EtcdHygiene.Core.Policy;

/// <summary>
/// Durations as Kubernetes and etcd users write them (Go's syntax): <c>500ms</c>, <c>10s</c>,
/// <c>5m</c>, <c>1h30m</c>.
/// </summary>
public static class GoDuration
{
    /// <summary>Parses a positive-or-zero duration; false for anything else.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var rest = text.Trim().AsSpan();
        if (rest is "0")
        {
            return true;
        }
        double totalMs = 0;
        while (rest.Length > 0)
        {
            var numberLength = 0;
            while (numberLength < rest.Length && (char.IsAsciiDigit(rest[numberLength]) || rest[numberLength] == '.'))
            {
                numberLength++;
            }
            var unitLength = 0;
            while (numberLength + unitLength < rest.Length && char.IsAsciiLetter(rest[numberLength + unitLength]))
            {
                unitLength++;
            }
            if (numberLength == 0 || unitLength == 0
                || !double.TryParse(rest[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }
            double? unitMs = rest.Slice(numberLength, unitLength) switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => null,
            };
            if (unitMs is null)
            {
                return false;
            }
            totalMs += number * unitMs.Value;
            rest = rest[(numberLength + unitLength)..];
        }
        if (totalMs > TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }
        duration = TimeSpan.FromMilliseconds(totalMs);
        return true;
    }

    /// <summary>Formats a duration in the same syntax: 1h30m, 10s, 250ms.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }
        var text = new StringBuilder();
        if (duration.TotalHours >= 1)
        {
            text.Append((long)duration.TotalHours).Append('h');
        }
        if (duration.Minutes > 0)
        {
            text.Append(duration.Minutes).Append('m');
        }
        if (duration.Seconds > 0)
        {
            text.Append(duration.Seconds).Append('s');
        }
        if (duration.Milliseconds > 0)
        {
            text.Append(duration.Milliseconds).Append("ms");
        }
        return text.ToString();
    }
}
