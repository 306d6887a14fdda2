using System.Net;
using EtcdHygiene.Kubernetes.Runtime;

namespace EtcdHygiene.Kubernetes.Tests.Runtime;

public sealed class ClientRateLimitTests
{
    [Fact]
    public async Task ABurstGoesThrough_TheNextRequestWaitsForAToken_InOrder()
    {
        using var bucket = ClientRateLimit.Bucket(qps: 1000, burst: 2, autoReplenish: false); // replenished by hand below, never by time
        var answered = 0;
        using var http = new HttpClient(new ClientRateLimit(bucket)
        {
            InnerHandler = new Answering(() => Interlocked.Increment(ref answered)),
        });

        var requests = Enumerable.Range(0, 3).Select(_ => http.GetAsync("http://api.invalid/")).ToList();
        await Task.WhenAll(requests.Take(2));
        await Task.Delay(300);
        Assert.Equal(2, answered);
        Assert.False(requests[2].IsCompleted); // no token left: it waits, it is not refused

        bucket.TryReplenish();
        Assert.Equal(HttpStatusCode.OK, (await requests[2]).StatusCode);
        Assert.Equal(3, answered);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(5, 0)]
    public void ALimitThatWouldStopEveryRequest_IsRefused(double qps, int burst) =>
        Assert.Throws<ArgumentException>(() => new ClientRateLimit(qps, burst));

    private sealed class Answering(Action onRequest) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            onRequest();
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }
}
