using System.Threading.RateLimiting;

namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// The client-side rate limit of requests to the API server, as client-go's QPS and Burst: a
/// token bucket holding <c>burst</c> tokens, refilled at <c>qps</c> a second; a request waits for
/// a token, in order. A thousand policies starting at once then reach the API server as a steady
/// stream instead of a spike that its priority-and-fairness would throttle for every other client.
/// A watch takes one token when it opens.
/// </summary>
public sealed class ClientRateLimit : DelegatingHandler
{
    private readonly RateLimiter _limiter;

    /// <summary>A limit of <paramref name="qps"/> requests a second on average, <paramref name="burst"/> at once.</summary>
    public ClientRateLimit(double qps, int burst)
        : this(Bucket(qps, burst, autoReplenish: true))
    {
    }

    /// <summary>A limit by <paramref name="limiter"/> (tests replenish it by hand).</summary>
    public ClientRateLimit(RateLimiter limiter) => _limiter = limiter;

    /// <summary>The token bucket of <paramref name="qps"/> and <paramref name="burst"/>.</summary>
    public static TokenBucketRateLimiter Bucket(double qps, int burst, bool autoReplenish)
    {
        if (qps <= 0 || burst < 1)
        {
            throw new ArgumentException($"the API rate limit needs a positive QPS and a burst of at least 1 (got {qps} and {burst})");
        }
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1 / qps),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = autoReplenish,
        });
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var lease = await _limiter.AcquireAsync(1, cancellationToken);
        return await base.SendAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _limiter.Dispose();
        }
        base.Dispose(disposing);
    }
}
