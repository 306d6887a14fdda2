namespace EtcdHygiene.Testing.Simulation;

/// <summary>
/// Runs a simulation on one thread: every continuation is posted here and run in order, and when
/// nothing is left to run the clock moves to its next timer. Nothing runs concurrently, so a
/// schedule is a pure function of its seed (FoundationDB's deterministic simulation, in small).
/// The code under test must not leave the loop (no <c>Task.Run</c>, no <c>ConfigureAwait(false)</c>).
/// </summary>
public sealed class SimulationLoop(SimulationClock clock) : SynchronizationContext
{
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _work = new();

    /// <inheritdoc />
    public override void Post(SendOrPostCallback d, object? state)
    {
        lock (_work)
        {
            _work.Enqueue((d, state));
        }
    }

    /// <inheritdoc />
    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("the simulation runs on one thread: nothing may wait for it synchronously");

    /// <inheritdoc />
    public override SynchronizationContext CreateCopy() => this;

    /// <summary>
    /// Runs <paramref name="main"/> and everything it starts until it ends, moving the clock when
    /// nothing else can run; throws when the simulated time passes <paramref name="limit"/> or when
    /// nothing can run and no timer is due (a deadlock).
    /// </summary>
    public void Run(Func<Task> main, TimeSpan limit)
    {
        var previous = Current;
        SetSynchronizationContext(this);
        try
        {
            var task = main();
            while (true)
            {
                RunQueued();
                if (task.IsCompleted)
                {
                    break;
                }
                if (clock.Elapsed > limit)
                {
                    throw new TimeoutException($"the simulation ran past {limit} of simulated time");
                }
                if (!clock.FireNext())
                {
                    throw new InvalidOperationException("deadlock: nothing can run and no timer is due");
                }
            }
            task.GetAwaiter().GetResult();
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    /// <summary>More continuations than this at one instant is a livelock: something loops without waiting.</summary>
    private const int MaxRunsPerInstant = 200_000;

    private void RunQueued()
    {
        var runs = 0;
        while (true)
        {
            if (++runs > MaxRunsPerInstant)
            {
                throw new InvalidOperationException($"livelock: more than {MaxRunsPerInstant} continuations ran at {clock.Elapsed} without the clock moving");
            }
            (SendOrPostCallback Callback, object? State) next;
            lock (_work)
            {
                if (!_work.TryDequeue(out next))
                {
                    return;
                }
            }
            next.Callback(next.State);
        }
    }
}
