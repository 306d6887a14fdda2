namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>Exponential backoff: base × 2^failures, capped.</summary>
/// <param name="BaseDelay">The delay after the first failure.</param>
/// <param name="MaxDelay">The cap.</param>
public sealed record Backoff(TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    /// <summary>The delay after <paramref name="failures"/> earlier failures.</summary>
    public TimeSpan Delay(int failures)
    {
        var factor = Math.Pow(2, Math.Min(failures, 30));
        var delay = BaseDelay * factor;
        return delay > MaxDelay ? MaxDelay : delay;
    }
}
