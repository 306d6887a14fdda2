using System.Diagnostics;

namespace EtcdHygiene.Bench;

/// <summary>
/// A clock <c>scale</c> times faster than the real one, for everything that takes its time from
/// the injected <see cref="TimeProvider"/>: an hour of the operator's timers (compaction interval,
/// pauses, polls, the event recorder's window and rate limit) passes in an hour / scale. etcd and
/// the network keep their real pace.
/// </summary>
internal sealed class ScaledTimeProvider(double scale) : TimeProvider
{
    private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();

    public override DateTimeOffset GetUtcNow() => _start + Stopwatch.GetElapsedTime(_startTimestamp) * scale;

    public override long GetTimestamp() => _startTimestamp + (long)((Stopwatch.GetTimestamp() - _startTimestamp) * scale);

    public override long TimestampFrequency => Stopwatch.Frequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(System.CreateTimer(callback, state, ToReal(dueTime), ToReal(period)), this);

    private TimeSpan ToReal(TimeSpan simulated) => simulated == Timeout.InfiniteTimeSpan ? simulated : simulated / scale;

    /// <summary>A real timer whose changes are scaled too.</summary>
    private sealed class ScaledTimer(ITimer timer, ScaledTimeProvider time) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => timer.Change(time.ToReal(dueTime), time.ToReal(period));

        public void Dispose() => timer.Dispose();

        public ValueTask DisposeAsync() => timer.DisposeAsync();
    }
}
