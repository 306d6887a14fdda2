using System.Collections.Concurrent;
using EtcdHygiene.Kubernetes.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EtcdHygiene.Kubernetes.Tests.Runtime;

public sealed class KeyedWorkersTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task OneReconcilePerKeyAtATime_EvenWithSeveralWorkers()
    {
        using var queue = new WorkQueue<string>(_time, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        var running = new ConcurrentDictionary<string, int>();
        var overlaps = 0;
        var calls = 0;
        using var stop = new CancellationTokenSource();
        var workers = new KeyedWorkers<string>(queue, async (key, _) =>
        {
            if (running.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }
            await Task.Delay(20);
            running.AddOrUpdate(key, 0, (_, n) => n - 1);
            Interlocked.Increment(ref calls);
            return ReconcileResult.Done;
        }, workers: 4, NullLogger.Instance);
        var run = workers.RunAsync(stop.Token);

        for (var i = 0; i < 50; i++)
        {
            queue.Add("ns/a");
            queue.Add("ns/b");
            await Task.Delay(2);
        }
        await WaitUntilAsync(() => queue.Count == 0 && running.Values.All(n => n == 0));
        stop.Cancel();
        await run;

        Assert.Equal(0, overlaps);
        Assert.InRange(calls, 2, 60); // bursts collapse: far fewer reconciles than the 100 adds
    }

    [Fact]
    public async Task AFailure_IsRetriedWithBackoff_AndASuccessResetsIt()
    {
        using var queue = new WorkQueue<string>(_time, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        var attempts = 0;
        using var stop = new CancellationTokenSource();
        var workers = new KeyedWorkers<string>(queue, (_, _) =>
        {
            attempts++;
            return attempts < 3 ? throw new InvalidOperationException("etcd said no") : Task.FromResult(ReconcileResult.After(TimeSpan.FromMinutes(5)));
        }, workers: 1, NullLogger.Instance);
        var run = workers.RunAsync(stop.Token);

        queue.Add("ns/a");
        await WaitUntilAsync(() => attempts == 1 && queue.Failures("ns/a") == 1);
        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => attempts == 2 && queue.Failures("ns/a") == 2);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, attempts); // the second retry waits 2 s
        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => attempts == 3 && queue.Failures("ns/a") == 0);

        _time.Advance(TimeSpan.FromMinutes(5)); // the requeue-after of the success
        await WaitUntilAsync(() => attempts == 4);
        stop.Cancel();
        await run;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 10 s");
            await Task.Delay(10);
        }
    }
}
