namespace EtcdHygiene.Core.Analysis;

/// <summary>
/// When will the database reach its quota at the current growth? A least-squares line through the
/// largest member's physical size over the last <see cref="Span"/>. A drop in size (a
/// defragmentation) starts a new line: growth before it says nothing about growth after.
/// </summary>
public sealed class GrowthForecast
{
    /// <summary>The history the line is fitted over.</summary>
    public static readonly TimeSpan Span = TimeSpan.FromHours(1);

    /// <summary>The least time the samples must cover before a forecast is given.</summary>
    public static readonly TimeSpan MinimumSpan = TimeSpan.FromSeconds(30);

    private const int MaxSamples = 240;
    private readonly List<(DateTimeOffset At, long Bytes)> _samples = [];

    /// <summary>Adds the size seen at <paramref name="at"/>.</summary>
    public void Add(DateTimeOffset at, long bytes)
    {
        if (_samples.Count > 0 && (bytes < _samples[^1].Bytes * 0.99 || at < _samples[^1].At))
        {
            _samples.Clear();
        }
        _samples.Add((at, bytes));
        _samples.RemoveAll(s => s.At < at - Span);
        if (_samples.Count > MaxSamples)
        {
            _samples.RemoveAt(0);
        }
    }

    /// <summary>The growth and, when it grows, when it reaches <paramref name="quotaBytes"/>; null without enough samples.</summary>
    public Forecast? Predict(long quotaBytes)
    {
        if (_samples.Count < 2 || _samples[^1].At - _samples[0].At < MinimumSpan)
        {
            return null;
        }
        var origin = _samples[0].At;
        var n = _samples.Count;
        double sumX = 0, sumY = 0, sumXx = 0, sumXy = 0;
        foreach (var (at, bytes) in _samples)
        {
            var x = (at - origin).TotalHours;
            sumX += x;
            sumY += bytes;
            sumXx += x * x;
            sumXy += x * bytes;
        }
        var slope = (n * sumXy - sumX * sumY) / (n * sumXx - sumX * sumX);
        var intercept = (sumY - slope * sumX) / n;
        var last = _samples[^1].At;
        var now = intercept + slope * (last - origin).TotalHours;
        DateTimeOffset? reachedAt = null;
        if (slope > 0 && quotaBytes > 0)
        {
            var hours = Math.Max(0, (quotaBytes - now) / slope);
            // Beyond a year is "not in sight", and would overflow for a flat line.
            reachedAt = hours < 24 * 365 ? last + TimeSpan.FromHours(hours) : null;
        }
        return new Forecast(slope, reachedAt);
    }
}

/// <summary>Growth of the database and when it reaches the quota.</summary>
/// <param name="BytesPerHour">The fitted growth (negative when it shrinks).</param>
/// <param name="QuotaReachedAt">When the fitted line reaches the quota; null when not growing or not within a year.</param>
public sealed record Forecast(double BytesPerHour, DateTimeOffset? QuotaReachedAt);
