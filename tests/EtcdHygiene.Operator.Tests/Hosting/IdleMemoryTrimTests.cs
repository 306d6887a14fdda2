using EtcdHygiene.Operator.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace EtcdHygiene.Operator.Tests.Hosting;

/// <summary>The trim collects (gen 2, aggressive) once after start and then every period, on the injected clock.</summary>
public sealed class IdleMemoryTrimTests
{
    [Fact]
    public async Task Collects_AfterStart_ThenEveryPeriod_AndEndsWhenStopped()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var stop = new CancellationTokenSource();
        // Called directly, not through the host's StartAsync (which runs it on another thread): its
        // first wait is set when the call returns, so the clock moves after it, never before.
        var run = IdleMemoryTrim.RunAsync(time, stop.Token);

        time.Advance(IdleMemoryTrim.AfterStart - TimeSpan.FromSeconds(1));
        await Task.Delay(200);
        // Other tests may collect meanwhile; what is counted is a collection after each step of the clock.
        var early = GC.CollectionCount(2);

        time.Advance(TimeSpan.FromSeconds(1));
        await WaitForCollectionAfterAsync(early);
        var first = GC.CollectionCount(2);
        time.Advance(IdleMemoryTrim.Every);
        await WaitForCollectionAfterAsync(first);

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(run.IsCompletedSuccessfully);
    }

    private static async Task WaitForCollectionAfterAsync(int count)
    {
        for (var i = 0; i < 200 && GC.CollectionCount(2) <= count; i++)
        {
            await Task.Delay(50);
        }
        Assert.True(GC.CollectionCount(2) > count, "no full collection came");
    }
}
