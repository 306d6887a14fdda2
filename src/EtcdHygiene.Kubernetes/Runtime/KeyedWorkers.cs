using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// Runs reconciles from a <see cref="WorkQueue{TKey}"/>: a few workers, one reconcile per key at a
/// time, per-key exponential backoff on failure reset by a success, and requeue-after on request.
/// </summary>
public sealed class KeyedWorkers<TKey> where TKey : notnull
{
    private readonly WorkQueue<TKey> _queue;
    private readonly Func<TKey, CancellationToken, Task<ReconcileResult>> _reconcile;
    private readonly int _workers;
    private readonly ILogger _logger;

    /// <summary>Creates the workers; nothing runs until <see cref="RunAsync"/>.</summary>
    public KeyedWorkers(WorkQueue<TKey> queue, Func<TKey, CancellationToken, Task<ReconcileResult>> reconcile, int workers, ILogger logger)
    {
        if (workers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(workers), "at least one worker");
        }
        _queue = queue;
        _reconcile = reconcile;
        _workers = workers;
        _logger = logger;
    }

    /// <summary>
    /// Runs until <paramref name="stopping"/> is cancelled; then no new reconcile starts, and the
    /// ones in flight get the cancelled token to finish their current step and return.
    /// </summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var registration = stopping.Register(_queue.ShutDown);
        await Task.WhenAll(Enumerable.Range(0, _workers).Select(_ => WorkAsync(stopping)));
    }

    private async Task WorkAsync(CancellationToken stopping)
    {
        while (await _queue.TakeAsync(CancellationToken.None) is { } key)
        {
            try
            {
                var result = await _reconcile(key, stopping);
                _queue.Forget(key);
                if (result.RequeueAfter is { } delay && !stopping.IsCancellationRequested)
                {
                    _queue.AddAfter(key, delay);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Shutting down: the key is not retried.
            }
            catch (Exception e)
            {
                var delay = _queue.AddRateLimited(key);
                _logger.LogWarning(e, "Reconcile of {Key} failed; retrying in {Delay}", key, delay);
            }
            finally
            {
                _queue.Done(key);
            }
        }
    }
}
