using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using KeyValue = Mvccpb.KeyValue;

namespace EtcdHygiene.Etcd.Locking;

/// <summary>
/// The right to maintain one etcd cluster, held in that cluster (safety rule 9): whoever acts on it
/// — any process, replica or install — holds this lock first, and the cluster says who does.
///
/// It is a queue, as etcd's own concurrency mutex: each contender puts one key under the prefix,
/// attached to a lease it keeps alive, and the key created first holds the lock. Why a queue and
/// not a single key taken by whoever comes: etcd refuses puts, transactions with puts and lease
/// grants at NOSPACE, but still serves reads, deletes, lease keep-alives and revocations (checked on
/// 3.4 and 3.5: <c>NoSpaceServesTests</c>). A contender that queued while writes were accepted
/// therefore stays queued at NOSPACE, and when the holder dies or lets go (its key deleted by the
/// revocation or the lease's expiry) the next in line holds the lock without writing anything.
/// A contender that could not queue because etcd already refuses writes is told
/// <see cref="LockStanding.Unavailable"/>, with whether anybody holds it; what to do then is the
/// caller's decision (docs/architecture.md, "One actor per etcd cluster").
///
/// The lock is kept once taken, until disposed: the holder is the cluster's maintainer, the others
/// stand by. <see cref="IsHeld"/> is the fence checked before every mutating request: true only
/// while the lease is known alive on this process's monotonic clock, counted from when the last
/// keep-alive that etcd answered was sent, less a margin.
/// </summary>
public sealed class ClusterLock : IClusterLock
{
    /// <summary>The lease's time to live: how long a crashed holder keeps the others waiting.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(10);

    private readonly EtcdConnectionOptions _options;
    private readonly string _prefix;
    private readonly string _identity;
    private readonly EtcdClientPool _pool;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _ttl;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Rented<EtcdClient>> _rented = [];
    private readonly Dictionary<string, EtcdClient> _clients = new(StringComparer.OrdinalIgnoreCase);
    private long _leaseId;
    private string? _key;
    private long _aliveUntil;
    private bool _head;
    private Task? _keepAlive;

    /// <summary>
    /// A contender for the lock under <paramref name="prefix"/>, named <paramref name="identity"/>
    /// to the others; nothing is written before <see cref="AcquireAsync"/>.
    /// </summary>
    public ClusterLock(EtcdConnectionOptions options, string prefix, string identity, EtcdClientPool pool, TimeProvider time, ILogger logger, TimeSpan? ttl = null)
    {
        _options = options;
        _prefix = prefix;
        _identity = identity;
        _pool = pool;
        _time = time;
        _logger = logger;
        _ttl = ttl ?? DefaultTtl;
    }

    /// <summary>The key prefix the lock lives under.</summary>
    public string Prefix => _prefix;

    /// <summary>
    /// True while this contender holds the lock and its lease is known alive: the check made right
    /// before every mutating request. A process stopped (SIGSTOP, a long GC, a suspended VM) past
    /// the lease's life finds it false when it resumes, whatever the wall clock says.
    /// </summary>
    public bool IsHeld => _head && _time.GetTimestamp() < Volatile.Read(ref _aliveUntil);

    /// <summary>
    /// Queues for the lock when not queued yet (or when the lease was lost), then says where this
    /// contender stands. Never throws for etcd's answers: refused writes come back as
    /// <see cref="LockStanding.Unavailable"/>, an unreadable queue as <see cref="LockStanding.Unknown"/>, with the reason.
    /// </summary>
    public async Task<LockView> AcquireAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            string? queueProblem = null;
            if (!LeaseAlive)
            {
                queueProblem = await QueueAsync(cancellationToken);
            }
            KeyValue? head;
            try
            {
                head = await HeadAsync(cancellationToken);
            }
            catch (EtcdOperationException e)
            {
                _head = false;
                return new LockView(LockStanding.Unknown, null, $"the lock under {_prefix} cannot be read: {e.Message}");
            }
            _head = head is not null && _key is not null && head.Key.ToStringUtf8() == _key;
            if (_head)
            {
                return new LockView(LockStanding.Held, _identity, null);
            }
            if (head is not null)
            {
                return new LockView(LockStanding.HeldElsewhere, head.Value.ToStringUtf8(), queueProblem);
            }
            return new LockView(LockStanding.Unavailable, null, queueProblem ?? $"nobody holds the lock under {_prefix}");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Who holds the lock under <paramref name="prefix"/>, read only (for <c>check</c>); null when nobody does.</summary>
    public static async Task<string?> HolderAsync(EtcdClient client, string prefix, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(client, prefix, timeout, cancellationToken);
        return head?.Value.ToStringUtf8();
    }

    private bool LeaseAlive => _key is not null && _time.GetTimestamp() < Volatile.Read(ref _aliveUntil);

    /// <summary>Grants a lease and puts this contender's key under it; returns why it could not.</summary>
    private async Task<string?> QueueAsync(CancellationToken cancellationToken)
    {
        await ForgetAsync();
        try
        {
            var sent = _time.GetTimestamp();
            var lease = await CallAsync("LeaseGrant", (c, ct) => c.LeaseGrantAsync(new LeaseGrantRequest { TTL = (long)_ttl.TotalSeconds }, cancellationToken: ct), cancellationToken);
            _leaseId = lease.ID;
            Volatile.Write(ref _aliveUntil, sent + Ticks(TimeSpan.FromSeconds(lease.TTL) - Margin));
            var key = $"{_prefix}{lease.ID:x16}";
            await CallAsync("Put", (c, ct) => c.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(_identity), Lease = lease.ID }, cancellationToken: ct),
                cancellationToken);
            _key = key;
            _keepAlive = Task.Run(() => KeepAliveAsync(lease.ID, _stop.Token));
            _logger.LogDebug("Queued for the cluster lock as {Key}", key);
            return null;
        }
        catch (EtcdOperationException e)
        {
            await ForgetAsync();
            return e.Kind == EtcdErrorKind.NoSpace
                ? $"etcd refuses writes (NOSPACE), so no lease can be granted to queue for the lock under {_prefix}"
                : $"cannot queue for the lock under {_prefix}: {e.Message}";
        }
    }

    /// <summary>Drops a lease that is not known alive any more (revoked as well, in case it is).</summary>
    private async Task ForgetAsync()
    {
        _head = false;
        _key = null;
        if (Interlocked.Exchange(ref _leaseId, 0) is var lease and not 0)
        {
            await RevokeAsync(lease);
        }
    }

    /// <summary>
    /// Keeps the lease alive, a keep-alive every third of its life. Each answer extends the time the
    /// lease is known alive from when its request was sent; an answer with no time left, or none
    /// at all, lets <see cref="IsHeld"/> fall false when that time is over.
    /// </summary>
    private async Task KeepAliveAsync(long leaseId, CancellationToken stopping)
    {
        var every = _ttl / 3;
        while (!stopping.IsCancellationRequested && Volatile.Read(ref _leaseId) == leaseId)
        {
            try
            {
                await Task.Delay(every, _time, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var sent = _time.GetTimestamp();
            try
            {
                var ttl = await KeepAliveOnceAsync(leaseId, stopping);
                if (ttl <= 0)
                {
                    _logger.LogWarning("The lease of the cluster lock under {Prefix} has expired: the lock is lost", _prefix);
                    Volatile.Write(ref _aliveUntil, 0);
                    return;
                }
                Volatile.Write(ref _aliveUntil, sent + Ticks(TimeSpan.FromSeconds(ttl) - Margin));
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                _logger.LogWarning("Keeping the cluster lock under {Prefix} alive failed: {Error}", _prefix, e.Message);
            }
        }
    }

    /// <summary>One keep-alive, answered or timed out within the request timeout; the time left etcd grants.</summary>
    private async Task<long> KeepAliveOnceAsync(long leaseId, CancellationToken stopping)
    {
        var errors = new List<string>();
        foreach (var endpoint in _options.Endpoints)
        {
            using var answered = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            answered.CancelAfter(_options.RequestTimeout);
            long? ttl = null;
            try
            {
                await Client(endpoint).LeaseKeepAlive(new LeaseKeepAliveRequest { ID = leaseId }, r =>
                {
                    ttl = r.TTL;
                    answered.Cancel();
                }, answered.Token);
            }
            catch (Exception e) when (ttl is null && !stopping.IsCancellationRequested)
            {
                errors.Add($"{endpoint}: {e.Message}");
                continue;
            }
            catch (Exception) when (ttl is not null)
            {
                // The stream was cancelled by the answer itself.
            }
            if (ttl is { } granted)
            {
                return granted;
            }
            errors.Add($"{endpoint}: no answer");
        }
        throw new EtcdOperationException(EtcdErrorKind.Unreachable, "LeaseKeepAlive", null, string.Join("; ", errors));
    }

    private async Task<KeyValue?> HeadAsync(CancellationToken cancellationToken)
    {
        var errors = new List<EtcdOperationException>();
        foreach (var endpoint in _options.Endpoints)
        {
            try
            {
                return await HeadAsync(Client(endpoint), _prefix, _options.RequestTimeout, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                errors.Add(EtcdErrors.Classify(e, "Range", endpoint));
            }
        }
        throw new EtcdOperationException(EtcdErrorKind.Unreachable, "Range", null, string.Join("; ", errors.Select(e => e.Message)));
    }

    /// <summary>The key created first under the prefix: the holder. A linearizable read, so it is never behind a change.</summary>
    private static async Task<KeyValue?> HeadAsync(EtcdClient client, string prefix, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var response = await client.GetAsync(new RangeRequest
        {
            Key = ByteString.CopyFromUtf8(prefix),
            RangeEnd = ByteString.CopyFromUtf8(PrefixEnd(prefix)),
            SortTarget = RangeRequest.Types.SortTarget.Create,
            SortOrder = RangeRequest.Types.SortOrder.Ascend,
            Limit = 1,
        }, cancellationToken: deadline.Token).WaitAsync(deadline.Token);
        return response.Kvs.FirstOrDefault();
    }

    private static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    private async Task<T> CallAsync<T>(string operation, Func<EtcdClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var errors = new List<EtcdOperationException>();
        foreach (var endpoint in _options.Endpoints)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_options.RequestTimeout);
            try
            {
                return await call(Client(endpoint), deadline.Token).WaitAsync(deadline.Token);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var error = EtcdErrors.Classify(e, operation, endpoint, timedOut: deadline.IsCancellationRequested);
                if (error.Kind is not (EtcdErrorKind.Unreachable or EtcdErrorKind.TimedOut))
                {
                    throw error;
                }
                errors.Add(error);
            }
        }
        throw new EtcdOperationException(EtcdErrorKind.Unreachable, operation, null, string.Join("; ", errors.Select(e => e.Message)));
    }

    private EtcdClient Client(string endpoint)
    {
        lock (_clients)
        {
            if (!_clients.TryGetValue(endpoint, out var client))
            {
                var rented = _pool.Client(endpoint.Trim().TrimEnd('/'), _options);
                _rented.Add(rented);
                _clients[endpoint] = client = rented.Value;
            }
            return client;
        }
    }

    private async Task RevokeAsync(long leaseId)
    {
        try
        {
            await CallAsync("LeaseRevoke", (c, ct) => c.LeaseRevokeAsync(new LeaseRevokeRequest { ID = leaseId }, cancellationToken: ct), CancellationToken.None);
        }
        catch (EtcdOperationException e)
        {
            // It expires on its own within its time to live.
            _logger.LogDebug("Revoking the lease of the cluster lock failed: {Error}", e.Message);
        }
    }

    // Kept off the lease's life: a keep-alive's answer may come late, and the check before a
    // request is made a moment before the request reaches etcd.
    private TimeSpan Margin => _ttl / 5;

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    /// <summary>Lets the lock go: the lease is revoked, which deletes the key, so the next in line holds it at once.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_keepAlive is { } running)
        {
            await running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await ForgetAsync();
        lock (_clients)
        {
            _rented.ForEach(r => r.Dispose());
            _rented.Clear();
            _clients.Clear();
        }
        _stop.Dispose();
    }
}
