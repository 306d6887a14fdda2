namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// client-go's event spam filter: a burst, then one token back every <c>refillEvery</c>. Written
/// here rather than taken from System.Threading.RateLimiting because its token bucket replenishes
/// on its own clock, and the recorder's clock is injected (tests run an hour in a millisecond).
/// Not thread-safe: the recorder takes it under the object's gate.
/// </summary>
public sealed class EventTokenBucket(int burst, TimeSpan refillEvery, DateTimeOffset now)
{
    private double _tokens = burst;
    private DateTimeOffset _at = now;

    /// <summary>Takes a token if one is left at <paramref name="now"/>.</summary>
    public bool TryTake(DateTimeOffset now)
    {
        Refill(now);
        if (_tokens < 1)
        {
            return false;
        }
        _tokens--;
        return true;
    }

    /// <summary>True when the bucket is back to its burst: forgetting it changes nothing.</summary>
    public bool IsFull(DateTimeOffset now)
    {
        Refill(now);
        return _tokens >= burst;
    }

    private void Refill(DateTimeOffset now)
    {
        if (now > _at)
        {
            _tokens = Math.Min(burst, _tokens + (now - _at) / refillEvery);
            _at = now;
        }
    }
}
