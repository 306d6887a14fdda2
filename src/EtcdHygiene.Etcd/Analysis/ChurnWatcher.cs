using dotnet_etcd;
using Etcdserverpb;
using EtcdHygiene.Core.Analysis;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Etcd.Analysis;

/// <summary>
/// Feeds a <see cref="ChurnAnalyzer"/> from one etcd cluster: learns every key's value as it was
/// at the start revision, replays the history etcd still retains from there, then follows live
/// writes, reconnecting (to the next endpoint) and resuming where it stopped. Reads only.
/// </summary>
/// <remarks>
/// One watch stream carries a watcher per prefix. When the history it needs was compacted away
/// meanwhile (a long disconnection), it says so, learns the keys again at the compacted revision
/// and goes on from there: findings have a gap, never wrong classifications. Any value etcd accepts
/// can be read: the watch asks etcd to fragment large responses (replayed history batches up to a
/// thousand revisions into one), the channel has no receive limit (as etcdctl), and key pages shrink
/// with the values. An error retrying cannot cure is logged once and marks the watch
/// <see cref="Stuck"/>; it keeps retrying slowly, in case a person fixes it.
/// </remarks>
public sealed class ChurnWatcher : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private const int SeedPageSize = 1000;
    private const int FirstSeedPageSize = 16;

    /// <summary>Bytes a page of keys should hold: a thousand registry entries, or a couple of the largest values etcd takes.</summary>
    private const long SeedPageBytes = 4 * 1024 * 1024;

    private readonly EtcdConnectionOptions _options;
    private readonly IReadOnlyList<ByteString> _prefixes;
    private readonly ChurnAnalyzer _analyzer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EtcdTransport _transport;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _liveFrom;
    private WatchResumePoint[]? _resumeAt;
    private RevisionClock _clock = new([]);
    private int _endpoint;

    /// <summary>Creates a watcher over <paramref name="prefixes"/>; nothing happens before <see cref="Start"/>.</summary>
    public ChurnWatcher(EtcdConnectionOptions options, IEnumerable<string> prefixes, ChurnAnalyzerOptions analysis, TimeProvider time, ILogger logger)
    {
        _options = options;
        _prefixes = WithoutNested(prefixes).Select(ByteString.CopyFromUtf8).ToList();
        _time = time;
        _logger = logger;
        _transport = new EtcdTransport(options);
        _analyzer = new ChurnAnalyzer(analysis, time.GetUtcNow());
    }

    /// <summary>The first revision replayed (or followed when live only); null before the start succeeded.</summary>
    public long? StartRevision { get; private set; }

    /// <summary>Why the watch is not running now, null while it is: for status and the CLI.</summary>
    public string? Problem { get; private set; }

    /// <summary>
    /// True while the watch fails in a way retrying cannot cure — a refused permission or login, a
    /// refused certificate, a request etcd will always refuse: <see cref="Problem"/> says which.
    /// </summary>
    public bool Stuck => StuckOn is not null;

    /// <summary>While <see cref="Stuck"/>, the failure without the member it came from ("PermissionDenied: …"): the same on every member.</summary>
    public string? StuckOn { get; private set; }

    /// <summary>Revisions whose writes were lost because they were compacted before being read.</summary>
    public long LostRevisions { get; private set; }

    /// <summary>
    /// Starts in the background. <paramref name="fromRevision"/> is the first revision to analyse:
    /// null replays all retained history. <paramref name="clock"/> dates replayed revisions.
    /// </summary>
    public void Start(long? fromRevision, RevisionClock clock)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("already started");
        }
        _clock = clock;
        _loop = Task.Run(() => RunAsync(fromRevision, _stop.Token));
    }

    /// <summary>The analyzer's findings now.</summary>
    public ChurnReport Report()
    {
        lock (_lock)
        {
            return _analyzer.Report(_time.GetUtcNow());
        }
    }

    /// <summary>
    /// Waits until every write the prefixes hold now has been read — under each prefix, the newest
    /// modification revision among its keys — so that a report made next covers the history about
    /// to be compacted. False when that did not happen within <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> CatchUpAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var newest = await NewestWritesAsync(deadline.Token);
            while (!ReadUpTo(newest))
            {
                if (Stuck)
                {
                    return false;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(50), _time, deadline.Token);
            }
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is RpcException or EtcdOperationException && !cancellationToken.IsCancellationRequested)
        {
            // The range that finds the newest writes meets what the watch would: say it the same way.
            var error = EtcdErrors.Classify(e, "Range", null);
            if (CannotHealByRetrying(error))
            {
                Problem = error.Message;
                StuckOn = Failure(error);
            }
            return false;
        }
    }

    private bool ReadUpTo(long[] newest)
    {
        lock (_lock)
        {
            return _resumeAt is { } next && StartRevision is not null && newest.Select((n, i) => next[i].Next > n).All(read => read);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
    }

    private async Task RunAsync(long? fromRevision, CancellationToken stopping)
    {
        var backoff = TimeSpan.FromSeconds(1);
        string? told = null;
        while (!stopping.IsCancellationRequested)
        {
            var endpoint = _options.Endpoints[_endpoint % _options.Endpoints.Count];
            try
            {
                using var client = _transport.CreateClient(endpoint, forStreams: true);
                await WatchAsync(client, fromRevision, () =>
                {
                    backoff = TimeSpan.FromSeconds(1);
                    if (told is not null)
                    {
                        _logger.LogInformation("Churn analysis: the watch works again through {Endpoint}", endpoint);
                        told = null;
                    }
                }, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                var error = EtcdErrors.Classify(e, "Watch", endpoint);
                Problem = error.Message;
                StuckOn = CannotHealByRetrying(error) ? Failure(error) : null;
                // Told once (per kind of failure, whichever member): a retry every 30 s that fails
                // alike would otherwise fill the log while hygiene goes on.
                var failure = Failure(error);
                if (failure != told)
                {
                    _logger.LogWarning("Churn analysis: {Problem}{Cure}; retrying in {Delay}, and told again only if the failure changes",
                        error.Message, Stuck ? " (retrying cannot cure this: it needs a person)" : "", backoff);
                    told = failure;
                }
                else
                {
                    _logger.LogDebug("Churn analysis: {Problem}; retrying in {Delay}", error.Message, backoff);
                }
                _endpoint++;
                try
                {
                    await Task.Delay(backoff, _time, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    /// <summary>
    /// Opens one stream with a watcher per prefix, each from its own resume point (the revision
    /// after the last event it delivered: watchers on one stream progress independently), and reads
    /// until the stream fails (throws) or etcd cancels a watcher for a compaction (returns, to
    /// reopen). <paramref name="created"/> runs once a watcher is in place.
    /// </summary>
    private async Task WatchAsync(EtcdClient client, long? from, Action created, CancellationToken stopping)
    {
        var headers = await HeadersAsync(client, stopping);
        if (_resumeAt is null)
        {
            var start = from ?? await FirstRetainedRevisionAsync(client, headers, stopping);
            await SeedAsync(client, _prefixes, start - 1, stopping);
            _resumeAt = _prefixes.Select(_ => new WatchResumePoint(start)).ToArray();
        }
        using var call = client.GetConnection().WatchClient.Watch(headers, cancellationToken: stopping);
        for (var i = 0; i < _prefixes.Count; i++)
        {
            lock (_lock)
            {
                _resumeAt[i].Reopen();
            }
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                // Fragment: etcd splits a response larger than its request limit into several
                // (a replay batches up to a thousand revisions, of values up to that limit each).
                CreateRequest = new WatchCreateRequest { Key = _prefixes[i], RangeEnd = RangeEnd(_prefixes[i]), StartRevision = _resumeAt[i].Next, Fragment = true },
            }, stopping);
        }
        // etcd confirms creations in the order they were asked for.
        var prefixOf = new Dictionary<long, int>();
        while (await call.ResponseStream.MoveNext(stopping))
        {
            var response = call.ResponseStream.Current;
            if (response.Created)
            {
                prefixOf[response.WatchId] = prefixOf.Count;
                OnFirstCreated(response);
                if (prefixOf.Count == _prefixes.Count)
                {
                    Problem = null;
                    StuckOn = null;
                    created();
                }
            }
            if (!prefixOf.TryGetValue(response.WatchId, out var prefix))
            {
                continue;
            }
            if (response.Canceled)
            {
                await ResumeAfterCancelAsync(client, prefix, response, stopping);
                return;
            }
            Record(prefix, response);
        }
        throw new EtcdOperationException(EtcdErrorKind.Unreachable, "Watch", null, "etcd ended the watch stream");
    }

    private void OnFirstCreated(WatchResponse response)
    {
        if (StartRevision is not null)
        {
            return;
        }
        var start = _resumeAt![0].Next;
        StartRevision = start;
        _liveFrom = response.Header.Revision + 1;
        if (start < _liveFrom && _clock.TimeOf(start) is { } dated)
        {
            lock (_lock)
            {
                _analyzer.CoverFrom(dated);
            }
        }
        _logger.LogInformation("Churn analysis: replaying revisions {Start}..{Now}, then following live writes", start, response.Header.Revision);
    }

    private void Record(int prefix, WatchResponse response)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            foreach (var e in response.Events)
            {
                var kv = e.Kv;
                // A fragment may end inside a revision (a transaction's writes): the watch resumes
                // at that revision, and what of it was delivered before a break is passed over.
                if (!_resumeAt![prefix].Deliver(kv.ModRevision, response.Fragment))
                {
                    continue;
                }
                var at = kv.ModRevision >= _liveFrom ? now : _clock.TimeOf(kv.ModRevision);
                _analyzer.Record(kv.Key.Span, kv.Value.Span, kv.Lease, kv.Version, kv.ModRevision,
                    e.Type == Mvccpb.Event.Types.EventType.Delete, at);
            }
        }
    }

    private async Task ResumeAfterCancelAsync(EtcdClient client, int prefix, WatchResponse response, CancellationToken stopping)
    {
        if (response.CompactRevision <= 0)
        {
            throw Cancelled(response);
        }
        // The prefix's history between where it was and the compaction is gone: learn its keys
        // again there (only its keys: the other prefixes may be ahead of that revision).
        var resumeAt = _resumeAt![prefix].Next;
        LostRevisions += Math.Max(0, response.CompactRevision + 1 - resumeAt);
        _logger.LogWarning("Churn analysis: revisions {From}..{To} under {Prefix} were compacted before they were read; going on from {Next}",
            resumeAt, response.CompactRevision, _prefixes[prefix].ToStringUtf8(), response.CompactRevision + 1);
        await SeedAsync(client, [_prefixes[prefix]], response.CompactRevision, stopping);
        lock (_lock)
        {
            _resumeAt[prefix].Restart(response.CompactRevision + 1);
        }
    }

    /// <summary>
    /// The oldest revision etcd still has: one past the compacted revision, which etcd tells only by
    /// cancelling a watch that starts before it. It first confirms the watch (Created), then
    /// cancels it at its next sync; events mean revision 1 is still there, and so does silence.
    /// </summary>
    private async Task<long> FirstRetainedRevisionAsync(EtcdClient client, Metadata headers, CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_options.RequestTimeout);
        using var call = client.GetConnection().WatchClient.Watch(headers, cancellationToken: timeout.Token);
        var probe = _prefixes[0];
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest { Key = probe, RangeEnd = RangeEnd(probe), StartRevision = 1 },
        }, timeout.Token);
        try
        {
            while (await call.ResponseStream.MoveNext(timeout.Token))
            {
                var response = call.ResponseStream.Current;
                if (response.Canceled)
                {
                    return response.CompactRevision > 0 ? response.CompactRevision + 1 : throw Cancelled(response);
                }
                if (response.Events.Count > 0)
                {
                    return 1;
                }
                if (response.Created)
                {
                    // etcd syncs unsynced watchers every 100 ms: a compaction shows well within a second.
                    timeout.CancelAfter(TimeSpan.FromSeconds(1));
                }
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && !stopping.IsCancellationRequested)
        {
            return 1;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return 1;
        }
        throw new EtcdOperationException(EtcdErrorKind.Unreachable, "Watch", null, "etcd ended the watch stream");
    }

    /// <summary>Learns every key's value at <paramref name="revision"/>, page by page.</summary>
    private async Task SeedAsync(EtcdClient client, IEnumerable<ByteString> prefixes, long revision, CancellationToken stopping)
    {
        if (revision < 1)
        {
            return;
        }
        foreach (var prefix in prefixes)
        {
            var from = prefix;
            // Pages hold about SeedPageBytes: a small first page measures how large the values are.
            long limit = FirstSeedPageSize;
            while (true)
            {
                var page = await client.GetAsync(new RangeRequest
                {
                    Key = from, RangeEnd = RangeEnd(prefix), Revision = revision, Limit = limit,
                }, deadline: DateTime.UtcNow.Add(_options.RequestTimeout), cancellationToken: stopping);
                if (page.Kvs.Count > 0)
                {
                    var average = page.Kvs.Sum(kv => (long)kv.Key.Length + kv.Value.Length) / page.Kvs.Count;
                    limit = Math.Clamp(SeedPageBytes / Math.Max(1, average), 1, SeedPageSize);
                }
                lock (_lock)
                {
                    foreach (var kv in page.Kvs)
                    {
                        _analyzer.Remember(kv.Key.Span, kv.Value.Span, kv.Lease);
                    }
                }
                if (!page.More || page.Kvs.Count == 0)
                {
                    break;
                }
                from = ByteString.CopyFrom([.. page.Kvs[^1].Key.Span, 0]);
            }
        }
    }

    private async Task<long[]> NewestWritesAsync(CancellationToken cancellationToken)
    {
        using var client = _transport.CreateClient(_options.Endpoints[_endpoint % _options.Endpoints.Count]);
        var newest = new long[_prefixes.Count];
        for (var i = 0; i < _prefixes.Count; i++)
        {
            var response = await client.GetAsync(new RangeRequest
            {
                Key = _prefixes[i], RangeEnd = RangeEnd(_prefixes[i]), Limit = 1, KeysOnly = true,
                SortTarget = RangeRequest.Types.SortTarget.Mod, SortOrder = RangeRequest.Types.SortOrder.Descend,
            }, deadline: DateTime.UtcNow.Add(_options.RequestTimeout), cancellationToken: cancellationToken);
            newest[i] = response.Kvs.Count > 0 ? response.Kvs[0].ModRevision : 0;
        }
        return newest;
    }

    /// <summary>
    /// The auth token for the raw watch stubs, which bypass the client's own credential handling
    /// (ranges go through the client and need none); empty when auth is off.
    /// </summary>
    private async Task<Metadata> HeadersAsync(EtcdClient client, CancellationToken cancellationToken)
    {
        if (_options.Credentials is not { } credentials)
        {
            return [];
        }
        var response = await client.AuthenticateAsync(new AuthenticateRequest { Name = credentials.Username, Password = credentials.Password },
            deadline: DateTime.UtcNow.Add(_options.RequestTimeout), cancellationToken: cancellationToken);
        return [new Metadata.Entry("token", response.Token)];
    }

    /// <summary>
    /// The cluster's current revision, from a count of the keys under <paramref name="prefix"/>
    /// through the first endpoint that answers: whoever may read the prefix may ask, where Status
    /// needs the root role on etcd 3.5.
    /// </summary>
    /// <returns>The revision, or null and why no endpoint gave it; <c>Stuck</c> when retrying cannot cure that.</returns>
    public static async Task<(long? Revision, string? Problem, bool Stuck)> RevisionAsync(EtcdConnectionOptions options, string prefix, CancellationToken cancellationToken)
    {
        var transport = new EtcdTransport(options);
        var key = ByteString.CopyFromUtf8(prefix);
        string? problem = null;
        foreach (var endpoint in options.Endpoints)
        {
            try
            {
                using var client = transport.CreateClient(endpoint);
                var response = await client.GetAsync(new RangeRequest { Key = key, RangeEnd = RangeEnd(key), CountOnly = true },
                    deadline: DateTime.UtcNow.Add(options.RequestTimeout), cancellationToken: cancellationToken);
                return (response.Header.Revision, null, false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var error = EtcdErrors.Classify(e, "Range", endpoint);
                if (CannotHealByRetrying(error))
                {
                    return (null, error.Message, true);
                }
                problem = error.Message;
            }
        }
        return (null, problem, false);
    }

    /// <summary>
    /// etcd cancelled a watch for another reason than a compaction; it gives the reason as text only
    /// ("rpc error: code = PermissionDenied desc = etcdserver: permission denied").
    /// </summary>
    private static EtcdOperationException Cancelled(WatchResponse response)
    {
        var reason = string.IsNullOrEmpty(response.CancelReason) ? "etcd cancelled the watch" : response.CancelReason;
        var kind = reason.Contains("permission denied", StringComparison.OrdinalIgnoreCase) ? EtcdErrorKind.PermissionDenied : EtcdErrorKind.Unknown;
        return new EtcdOperationException(kind, "Watch", null, reason);
    }

    /// <summary>A failure without the member it came from ("PermissionDenied: …"): the same on every member.</summary>
    private static string Failure(EtcdOperationException error) => $"{error.Kind}: {error.Detail}";

    /// <summary>
    /// Failures that fail again alike however often they are retried, until a person changes
    /// something: a refused permission, login or certificate, or a request etcd (or gRPC) refuses
    /// as such — a message too large, an invalid argument, a call this etcd does not implement.
    /// etcd's own ResourceExhausted ("too many requests", NOSPACE) passes, and so do gRPC's
    /// Internal errors, which a reset connection also raises.
    /// </summary>
    private static bool CannotHealByRetrying(EtcdOperationException error) =>
        error.Kind is EtcdErrorKind.PermissionDenied or EtcdErrorKind.AuthenticationFailed or EtcdErrorKind.TlsFailed
        || error.InnerException is RpcException rpc && (rpc.StatusCode is StatusCode.InvalidArgument or StatusCode.Unimplemented
            || rpc.StatusCode == StatusCode.ResourceExhausted && rpc.Status.Detail.Contains("message", StringComparison.OrdinalIgnoreCase)
                && !rpc.Status.Detail.Contains("too many requests", StringComparison.OrdinalIgnoreCase));

    /// <summary>The end of a prefix's range: the prefix with its last byte incremented ("\0" for all keys).</summary>
    private static ByteString RangeEnd(ByteString prefix)
    {
        var end = prefix.ToByteArray();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xFF)
            {
                end[i]++;
                return ByteString.CopyFrom(end.AsSpan(0, i + 1));
            }
        }
        return ByteString.CopyFrom(0);
    }

    /// <summary>Prefixes inside another would count their writes twice: keep the outermost.</summary>
    private static IEnumerable<string> WithoutNested(IEnumerable<string> prefixes)
    {
        var distinct = prefixes.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Where(p => !distinct.Any(o => o != p && p.StartsWith(o, StringComparison.Ordinal)));
    }
}
