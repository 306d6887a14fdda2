using System.Globalization;

namespace EtcdHygiene.Core.Api;

/// <summary>
/// The one timestamp format of status and state: RFC 3339 in UTC, with the fraction of a second
/// only where there is one. Full precision matters for what feeds the kept state: a revision sample
/// rounded down would look older than it is and let compaction reach into the retention window; a
/// defragmentation time rounded down would shorten the pause before the next member.
/// </summary>
public static class StatusTime
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    /// <summary><paramref name="time"/> as status writes it; null stays null.</summary>
    public static string? Write(DateTimeOffset? time) => time?.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>A time status holds; null stays null.</summary>
    public static DateTimeOffset? Read(string? text) =>
        text is null ? null : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
