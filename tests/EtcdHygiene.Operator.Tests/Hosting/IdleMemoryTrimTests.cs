using EtcdHygiene.Operator.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace EtcdHygiene.Operator.Tests.Hosting;

/// <summary>The trim collects (gen 2, aggressive) once after start and then every period, on the injected clock.</summary>
public sealed class IdleMemoryTrimTests
{
    [Fact]
    public async Task Collects_AfterStart_ThenEveryPeriod_AndStopsWithTheHost()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var trim = new IdleMemoryTrim(time);
        await trim.StartAsync(CancellationToken.None);
        var before = GC.CollectionCount(2);

        time.Advance(IdleMemoryTrim.AfterStart - TimeSpan.FromSeconds(1));
        await Task.Delay(200);
        // Other tests may collect meanwhile; the trim's own collections are what the later checks count.
        var early = GC.CollectionCount(2);

        time.Advance(TimeSpan.FromSeconds(1));
        await WaitForCollectionAfterAsync(early);
        var first = GC.CollectionCount(2);
        time.Advance(IdleMemoryTrim.Every);
        await WaitForCollectionAfterAsync(first);
        Assert.True(GC.CollectionCount(2) >= before + 2);

        await trim.StopAsync(CancellationToken.None);
        Assert.True(trim.ExecuteTask!.IsCompletedSuccessfully);
    }

    private static async Task WaitForCollectionAfterAsync(int count)
    {
        for (var i = 0; i < 100 && GC.CollectionCount(2) <= count; i++)
        {
            await Task.Delay(50);
        }
        Assert.True(GC.CollectionCount(2) > count, "no full collection came");
    }
}
