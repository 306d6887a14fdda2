namespace EtcdHygiene.Operator.Supervision.Lanes;

/// <summary>
/// One holder at a time, the others served in the order they came: a lane's turns. Not a
/// <see cref="SemaphoreSlim"/>: its cancellable wait resumes on a thread-pool thread whatever the
/// caller's context, so the schedule explorer, which runs everything on one thread in a fixed order,
/// could not replay a schedule the same twice (two policies of one cluster took their turns in a
/// different order from run to run). Here a waiter resumes where it awaited.
/// </summary>
internal sealed class TurnQueue
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _waiting = new();
    private bool _held;

    /// <summary>Waits for the turn; the caller must <see cref="Release"/> it once done.</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (!_held)
            {
                _held = true;
                return Task.CompletedTask;
            }
            var waiter = new Waiter();
            var node = _waiting.AddLast(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                waiter.Cancellation = cancellationToken.Register(() => Cancel(node, cancellationToken));
            }
            return waiter.Turn.Task;
        }
    }

    /// <summary>Passes the turn to the next waiter, or frees it.</summary>
    public void Release()
    {
        Waiter? next;
        lock (_gate)
        {
            if (_waiting.First is { } first)
            {
                _waiting.RemoveFirst();
                next = first.Value;
            }
            else
            {
                _held = false;
                return;
            }
        }
        next.Cancellation.Dispose();
        next.Turn.TrySetResult();
    }

    private void Cancel(LinkedListNode<Waiter> node, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (node.List is null)
            {
                // Already given the turn.
                return;
            }
            _waiting.Remove(node);
        }
        node.Value.Turn.TrySetCanceled(cancellationToken);
    }

    private sealed class Waiter
    {
        // Asynchronous continuations: the releasing thread never runs the next holder's step.
        public TaskCompletionSource Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Cancellation { get; set; }
    }
}
