using System.Net;
using k8s.Autorest;
using k8s.LeaderElection;
using EtcdHygiene.Operator.Supervision.Lanes;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Controller.Leadership;

/// <summary>
/// The Lease lock as KubernetesClient's <see cref="LeaderElector"/> needs it to survive a flaky
/// network. The elector treats an API error status as "not this time" and retries until the renew
/// deadline, but a connection error (refused, reset, timed out) escapes it: while acquiring it ends
/// the process, while renewing it gives leadership up at once. This lock turns those errors into
/// the "not this time" the elector already handles, logs every failure, and remembers whether the
/// last attempt to reach the Lease worked, for /readyz.
///
/// It is also the replica's fence (<see cref="IActingRight"/>): the elector judges the Lease on the
/// wall clock, so this lock times its own successful writes on the monotonic clock, from when each
/// was sent, and the right to act ends when the Lease's duration since the last one has passed
/// (less a margin), whatever the wall clock did and however long the process was stopped.
/// </summary>
public sealed class TolerantLeaseLock : ILock, IActingRight
{
    private readonly ILock _inner;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private volatile string? _failure;
    private long _heldUntil;

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="httpErrors"/> is the inner lock's error event, when it has one.</summary>
    public TolerantLeaseLock(ILock inner, ILogger logger, Action<Action<HttpOperationException>>? httpErrors = null, TimeProvider? time = null)
    {
        _inner = inner;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        httpErrors?.Invoke(e =>
        {
            // A conflict is another replica writing first: the election working, not a failure.
            if (e.Response.StatusCode != HttpStatusCode.Conflict)
            {
                Failed("write", $"{(int)e.Response.StatusCode} {e.Response.ReasonPhrase}");
            }
        });
    }

    /// <summary>Why the last attempt to read or write the Lease failed, or null when it worked.</summary>
    public string? Failure => _failure;

    /// <inheritdoc />
    public string Identity => _inner.Identity;

    /// <inheritdoc />
    public async Task<LeaderElectionRecord> GetAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var record = await _inner.GetAsync(cancellationToken);
            _failure = null;
            return record;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            _failure = null;
            throw;
        }
        catch (HttpOperationException e)
        {
            Failed("read", $"{(int)e.Response.StatusCode} {e.Response.ReasonPhrase}");
            throw;
        }
        catch (Exception e) when (IsTransient(e, cancellationToken))
        {
            Failed("read", e.Message);
            // The elector answers any status but 404 with "retry after the retry period".
            throw new HttpOperationException(e.Message, e)
            {
                Response = new HttpResponseMessageWrapper(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable), ""),
            };
        }
    }

    /// <inheritdoc />
    public Task<bool> CreateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) =>
        WriteAsync(record, () => _inner.CreateAsync(record, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<bool> UpdateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) =>
        WriteAsync(record, () => _inner.UpdateAsync(record, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public string? WhyNotHeld() =>
        _time.GetTimestamp() < Volatile.Read(ref _heldUntil)
            ? null
            : $"this replica has not renewed the Lease {_inner.Describe()} within its duration: another replica may lead by now";

    /// <inheritdoc />
    public string Describe() => _inner.Describe();

    private async Task<bool> WriteAsync(LeaderElectionRecord record, Func<Task<bool>> write, CancellationToken cancellationToken)
    {
        var sent = _time.GetTimestamp();
        try
        {
            var written = await write();
            var mine = record.HolderIdentity == _inner.Identity && record.LeaseDurationSeconds > 0;
            if (written)
            {
                // A margin of a fifth: the check is made a moment before the request reaches etcd.
                var held = TimeSpan.FromSeconds(record.LeaseDurationSeconds * 0.8);
                Volatile.Write(ref _heldUntil, mine ? sent + (long)(held.TotalSeconds * _time.TimestampFrequency) : 0);
            }
            return written;
        }
        catch (Exception e) when (IsTransient(e, cancellationToken))
        {
            Failed("write", e.Message);
            return false;
        }
    }

    private void Failed(string what, string why)
    {
        _failure = $"cannot {what} the Lease {_inner.Describe()}: {why}";
        _logger.LogWarning("Leader election: cannot {What} the Lease {Lease}: {Why}; retrying", what, _inner.Describe(), why);
    }

    // An HttpClient timeout is a TaskCanceledException without our token being cancelled.
    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);
}
