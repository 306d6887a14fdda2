using EtcdHygiene.Kubernetes.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace EtcdHygiene.Kubernetes.Tests.Runtime;

public sealed class WorkQueueTests
{
    private readonly FakeTimeProvider _time = new();

    private WorkQueue<string> Queue() => new(_time, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    private static async Task<string?> TakeSoonAsync(WorkQueue<string> queue)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await queue.TakeAsync(timeout.Token);
    }

    [Fact]
    public async Task AKeyAddedTwice_IsQueuedOnce()
    {
        using var queue = Queue();
        queue.Add("ns/a");
        queue.Add("ns/a");
        queue.Add("ns/b");

        Assert.Equal(2, queue.Count);
        Assert.Equal("ns/a", await TakeSoonAsync(queue));
        Assert.Equal("ns/b", await TakeSoonAsync(queue));
    }

    [Fact]
    public async Task AKeyAddedWhileProcessing_ComesBackOnlyAfterDone()
    {
        using var queue = Queue();
        queue.Add("ns/a");
        var key = await TakeSoonAsync(queue);

        queue.Add("ns/a");
        queue.Add("ns/a");
        Assert.Equal(0, queue.Count); // never two reconciles of one key at once

        queue.Done(key!);
        Assert.Equal(1, queue.Count);
        Assert.Equal("ns/a", await TakeSoonAsync(queue));
    }

    [Fact]
    public async Task AddAfter_WaitsForTheClock_AndTheEarliestRequestWins()
    {
        using var queue = Queue();
        queue.AddAfter("ns/a", TimeSpan.FromMinutes(5));
        queue.AddAfter("ns/a", TimeSpan.FromMinutes(1));
        queue.AddAfter("ns/a", TimeSpan.FromMinutes(3));

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, queue.Count);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, queue.Count);
        Assert.Equal("ns/a", await TakeSoonAsync(queue));
    }

    [Fact]
    public void Backoff_DoublesPerFailure_UpToTheCap_AndForgetResetsIt()
    {
        using var queue = Queue();

        var delays = Enumerable.Range(0, 7).Select(_ => queue.AddRateLimited("ns/a").TotalSeconds).ToList();

        Assert.Equal([1.0, 2, 4, 8, 16, 30, 30], delays);
        Assert.Equal(7, queue.Failures("ns/a"));
        queue.Forget("ns/a");
        Assert.Equal(0, queue.Failures("ns/a"));
        Assert.Equal(1, queue.AddRateLimited("ns/a").TotalSeconds);
    }

    [Fact]
    public async Task Remove_CancelsADelayedAdd()
    {
        using var queue = Queue();
        queue.AddAfter("ns/gone", TimeSpan.FromSeconds(10));

        queue.Remove("ns/gone");
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(0, queue.Count);
        queue.ShutDown();
        Assert.Null(await TakeSoonAsync(queue));
    }

    [Fact]
    public async Task ShutDown_ReleasesWaitingTakers()
    {
        using var queue = Queue();
        var waiting = queue.TakeAsync(CancellationToken.None);

        queue.ShutDown();

        Assert.Null(await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
    }
}
