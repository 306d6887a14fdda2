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
/// and goes on from there: findings have a gap, never wrong classifications.
/// </remarks>
public sealed class ChurnWatcher : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private const int SeedPageSize = 1000;

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
    private long[]? _resumeAt;
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
                await Task.Delay(TimeSpan.FromMilliseconds(50), _time, deadline.Token);
            }
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or EtcdOperationException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private bool ReadUpTo(long[] newest)
    {
        lock (_lock)
        {
            return _resumeAt is { } next && StartRevision is not null && newest.Select((n, i) => next[i] > n).All(read => read);
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
        while (!stopping.IsCancellationRequested)
        {
            var endpoint = _options.Endpoints[_endpoint % _options.Endpoints.Count];
            try
            {
                using var client = _transport.CreateClient(endpoint, forStreams: true);
                await WatchAsync(client, fromRevision, () => backoff = TimeSpan.FromSeconds(1), stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                var error = EtcdErrors.Classify(e, "Watch", endpoint);
                Problem = error.Message;
                _logger.LogWarning("Churn analysis: watch on {Endpoint} failed ({Kind}: {Message}); retrying in {Delay}",
                    endpoint, error.Kind, error.Message, backoff);
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
            _resumeAt = _prefixes.Select(_ => start).ToArray();
        }
        using var call = client.GetConnection().WatchClient.Watch(headers, cancellationToken: stopping);
        for (var i = 0; i < _prefixes.Count; i++)
        {
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = _prefixes[i], RangeEnd = RangeEnd(_prefixes[i]), StartRevision = _resumeAt[i] },
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
        var start = _resumeAt![0];
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
                var at = kv.ModRevision >= _liveFrom ? now : _clock.TimeOf(kv.ModRevision);
                _analyzer.Record(kv.Key.Span, kv.Value.Span, kv.Lease, kv.Version, kv.ModRevision,
                    e.Type == Mvccpb.Event.Types.EventType.Delete, at);
                _resumeAt![prefix] = Math.Max(_resumeAt[prefix], kv.ModRevision + 1);
            }
        }
    }

    private async Task ResumeAfterCancelAsync(EtcdClient client, int prefix, WatchResponse response, CancellationToken stopping)
    {
        if (response.CompactRevision <= 0)
        {
            throw new EtcdOperationException(EtcdErrorKind.Unknown, "Watch", null,
                string.IsNullOrEmpty(response.CancelReason) ? "etcd cancelled the watch" : response.CancelReason);
        }
        // The prefix's history between where it was and the compaction is gone: learn its keys
        // again there (only its keys: the other prefixes may be ahead of that revision).
        var resumeAt = _resumeAt![prefix];
        LostRevisions += Math.Max(0, response.CompactRevision + 1 - resumeAt);
        _logger.LogWarning("Churn analysis: revisions {From}..{To} under {Prefix} were compacted before they were read; going on from {Next}",
            resumeAt, response.CompactRevision, _prefixes[prefix].ToStringUtf8(), response.CompactRevision + 1);
        await SeedAsync(client, [_prefixes[prefix]], response.CompactRevision, stopping);
        lock (_lock)
        {
            _resumeAt[prefix] = response.CompactRevision + 1;
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
                    return response.CompactRevision > 0 ? response.CompactRevision + 1
                        : throw new EtcdOperationException(EtcdErrorKind.Unknown, "Watch", null, response.CancelReason);
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
            while (true)
            {
                var page = await client.GetAsync(new RangeRequest
                {
                    Key = from, RangeEnd = RangeEnd(prefix), Revision = revision, Limit = SeedPageSize,
                }, deadline: DateTime.UtcNow.Add(_options.RequestTimeout), cancellationToken: stopping);
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
