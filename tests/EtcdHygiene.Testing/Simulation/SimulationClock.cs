namespace EtcdHygiene.Testing.Simulation;

/// <summary>
/// A clock that moves only when the simulation says so: timers fire in due order, one at a time,
/// from <see cref="FireNext"/>, so a schedule replays exactly from its seed. The wall clock can be
/// stepped (<see cref="Jump"/>, an NTP correction) without moving the monotonic clock, as on a real machine.
/// </summary>
public sealed class SimulationClock(DateTimeOffset start) : TimeProvider
{
    private readonly PriorityQueue<(SimulatedTimer Timer, long Version), (long Due, long Order)> _due = new();
    private DateTimeOffset _wall = start;
    private long _monotonic;
    private long _order;

    /// <summary>How long the simulation has run, on the monotonic clock.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(_monotonic);

    /// <summary>How far the wall clock was stepped forwards in all (steps back not subtracted).</summary>
    public TimeSpan JumpedForward { get; private set; }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _wall;

    /// <inheritdoc />
    public override long GetTimestamp() => _monotonic;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SimulatedTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Steps the wall clock only, as an NTP correction does; timers keep their monotonic due times.</summary>
    public void Jump(TimeSpan by)
    {
        _wall += by;
        if (by > TimeSpan.Zero)
        {
            JumpedForward += by;
        }
    }

    /// <summary>When the next timer is due, on the monotonic clock; null when none is.</summary>
    public TimeSpan? NextDue
    {
        get
        {
            while (_due.TryPeek(out var next, out var due))
            {
                if (next.Timer.IsCurrent(next.Version))
                {
                    return TimeSpan.FromTicks(due.Due);
                }
                _due.Dequeue();
            }
            return null;
        }
    }

    /// <summary>Moves time to the next due timer and fires it; false when no timer is due at all.</summary>
    public bool FireNext()
    {
        while (_due.TryDequeue(out var next, out var due))
        {
            if (!next.Timer.IsCurrent(next.Version))
            {
                continue;
            }
            if (due.Due > _monotonic)
            {
                _wall += TimeSpan.FromTicks(due.Due - _monotonic);
                _monotonic = due.Due;
            }
            next.Timer.Fire();
            return true;
        }
        return false;
    }

    private void Schedule(SimulatedTimer timer, long version, TimeSpan dueTime) =>
        _due.Enqueue((timer, version), (_monotonic + Math.Max(0, dueTime.Ticks), _order++));

    private sealed class SimulatedTimer(SimulationClock clock, TimerCallback callback, object? state) : ITimer
    {
        private long _version;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private bool _disposed;

        public bool IsCurrent(long version) => !_disposed && version == _version;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed)
            {
                return false;
            }
            _version++;
            _period = period;
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                clock.Schedule(this, _version, dueTime);
            }
            return true;
        }

        public void Fire()
        {
            if (_period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero)
            {
                clock.Schedule(this, _version, _period);
            }
            else
            {
                _version++;
            }
            callback(state);
        }

        public void Dispose()
        {
            _disposed = true;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
