namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// A keyed work queue in the manner of client-go's: a key waits in the queue at most once, is
/// handed to one worker at a time, and a key added while it is being processed comes back once,
/// after <see cref="Done"/>. Delayed adds (requeue-after, backoff) run on the injected clock.
/// Reconciling by key rather than by event means a burst of watch events costs one reconcile.
/// </summary>
public sealed class WorkQueue<TKey> : IDisposable where TKey : notnull
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly Backoff _backoff;
    private readonly LinkedList<TKey> _queue = new();
    private readonly HashSet<TKey> _queued = [];
    private readonly HashSet<TKey> _processing = [];
    private readonly HashSet<TKey> _dirty = [];
    private readonly Dictionary<TKey, (DateTimeOffset Due, ITimer Timer)> _delayed = [];
    private readonly Dictionary<TKey, int> _failures = [];
    private TaskCompletionSource _available = NewSignal();
    private bool _shutDown;

    /// <summary>Creates a queue whose failure backoff runs from <paramref name="baseDelay"/> up to <paramref name="maxDelay"/>.</summary>
    public WorkQueue(TimeProvider time, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        _time = time;
        _backoff = new Backoff(baseDelay, maxDelay);
    }

    /// <summary>Keys waiting (not those being processed or delayed).</summary>
    public int Count
    {
        get { lock (_gate) { return _queue.Count; } }
    }

    /// <summary>Queues <paramref name="key"/> now, unless it is queued already.</summary>
    public void Add(TKey key)
    {
        lock (_gate)
        {
            if (_shutDown || _queued.Contains(key))
            {
                return;
            }
            if (_processing.Contains(key))
            {
                _dirty.Add(key);
                return;
            }
            Enqueue(key);
        }
    }

    /// <summary>Queues <paramref name="key"/> after <paramref name="delay"/>; an earlier pending add wins.</summary>
    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }
        lock (_gate)
        {
            if (_shutDown)
            {
                return;
            }
            var due = _time.GetUtcNow() + delay;
            if (_delayed.TryGetValue(key, out var pending))
            {
                if (pending.Due <= due)
                {
                    return;
                }
                pending.Timer.Dispose();
            }
            var timer = _time.CreateTimer(_ => Fire(key, due), null, delay, Timeout.InfiniteTimeSpan);
            _delayed[key] = (due, timer);
        }
    }

    /// <summary>Queues <paramref name="key"/> after its next backoff delay (doubling per failure).</summary>
    public TimeSpan AddRateLimited(TKey key)
    {
        // One step under the lock (it is re-entrant): a failure counted is a retry scheduled, so
        // whoever reads the count (a test advancing a fake clock, say) never sees one without the other.
        lock (_gate)
        {
            var failures = _failures.GetValueOrDefault(key);
            _failures[key] = failures + 1;
            var delay = _backoff.Delay(failures);
            AddAfter(key, delay);
            return delay;
        }
    }

    /// <summary>Resets the backoff of <paramref name="key"/> (after a success).</summary>
    public void Forget(TKey key)
    {
        lock (_gate)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>Failures since the last <see cref="Forget"/>.</summary>
    public int Failures(TKey key)
    {
        lock (_gate)
        {
            return _failures.GetValueOrDefault(key);
        }
    }

    /// <summary>Drops a pending delayed add and the backoff of <paramref name="key"/> (the object is gone).</summary>
    public void Remove(TKey key)
    {
        lock (_gate)
        {
            if (_delayed.Remove(key, out var pending))
            {
                pending.Timer.Dispose();
            }
            _failures.Remove(key);
            if (_queued.Remove(key))
            {
                _queue.Remove(key);
            }
            _dirty.Remove(key);
        }
    }

    /// <summary>Waits for a key and marks it processing; null once the queue is shut down.</summary>
    public async Task<TKey?> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (_queue.First is { } first)
                {
                    _queue.RemoveFirst();
                    _queued.Remove(first.Value);
                    _processing.Add(first.Value);
                    return first.Value;
                }
                if (_shutDown)
                {
                    return default;
                }
                signal = _available.Task;
            }
            await signal.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Ends the processing of <paramref name="key"/>; if it was added meanwhile, it is queued again.</summary>
    public void Done(TKey key)
    {
        lock (_gate)
        {
            _processing.Remove(key);
            if (_dirty.Remove(key) && !_shutDown)
            {
                Enqueue(key);
            }
        }
    }

    /// <summary>Stops handing out keys; waiting takers get null.</summary>
    public void ShutDown()
    {
        lock (_gate)
        {
            _shutDown = true;
            foreach (var (_, timer) in _delayed.Values)
            {
                timer.Dispose();
            }
            _delayed.Clear();
            _queue.Clear();
            _queued.Clear();
            _available.TrySetResult();
        }
    }

    /// <inheritdoc />
    public void Dispose() => ShutDown();

    private void Fire(TKey key, DateTimeOffset due)
    {
        lock (_gate)
        {
            if (!_delayed.TryGetValue(key, out var pending) || pending.Due != due)
            {
                return;
            }
            _delayed.Remove(key);
            pending.Timer.Dispose();
        }
        Add(key);
    }

    private void Enqueue(TKey key)
    {
        _queue.AddLast(key);
        _queued.Add(key);
        var signal = _available;
        _available = NewSignal();
        signal.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
