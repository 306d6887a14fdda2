using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdHygiene.Testing.Workloads;

/// <summary>
/// Every put etcd applied under a prefix, with its revision and value, as a watch opened before the
/// first write saw it: etcd's own account of each key, which compaction cannot take away from a
/// watcher that keeps up. With it the registry's check is exact per write (an acknowledged write is
/// found at its revision with its value, or it was lost), instead of counting versions, where an
/// unanswered write that etcd applied hides a lost acknowledged one.
/// </summary>
public sealed class KeyHistory : IAsyncDisposable
{
    private readonly EtcdClient _client;
    private readonly ByteString _prefix;
    private readonly ByteString _end;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, Dictionary<long, ByteString>> _puts = [];
    private readonly Lock _lock = new();
    private long _next;
    private long _seen;
    private Task? _watching;
    private AsyncDuplexStreamingCall<WatchRequest, WatchResponse>? _call;

    private KeyHistory(EtcdClient client, string prefix)
    {
        _client = client;
        _prefix = ByteString.CopyFromUtf8(prefix);
        var end = _prefix.ToByteArray();
        end[^1]++;
        _end = ByteString.CopyFrom(end);
    }

    /// <summary>Why the record may miss puts (etcd compacted revisions the watch had not read yet); null when it is whole.</summary>
    public string? Gap { get; private set; }

    /// <summary>The revision from which the record is whole: puts before it may be missing (see <see cref="Gap"/>).</summary>
    public long WholeFrom { get; private set; }

    /// <summary>Starts recording every put under <paramref name="prefix"/> from the next revision on.</summary>
    public static async Task<KeyHistory> StartAsync(EtcdClient client, string prefix)
    {
        var history = new KeyHistory(client, prefix);
        var now = await client.GetAsync(new RangeRequest { Key = history._prefix, RangeEnd = history._end, CountOnly = true });
        history._next = now.Header.Revision + 1;
        history._seen = now.Header.Revision;
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        history._watching = history.WatchAsync(created);
        await created.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return history;
    }

    /// <summary>The puts of <paramref name="key"/>: revision → value. Empty when none was seen.</summary>
    public IReadOnlyDictionary<long, ByteString> PutsOf(string key)
    {
        lock (_lock)
        {
            return _puts.TryGetValue(key, out var puts) ? new Dictionary<long, ByteString>(puts) : [];
        }
    }

    /// <summary>Records a put as if the watch had seen it: the fault injection of the tests of the check itself.</summary>
    public void Record(string key, long revision, ByteString value)
    {
        lock (_lock)
        {
            (_puts.TryGetValue(key, out var puts) ? puts : _puts[key] = [])[revision] = value;
        }
    }

    /// <summary>Waits until the watch has seen everything up to etcd's revision now.</summary>
    public async Task CatchUpAsync(TimeSpan timeout)
    {
        var target = (await _client.GetAsync(new RangeRequest { Key = _prefix, RangeEnd = _end, CountOnly = true })).Header.Revision;
        var deadline = DateTime.UtcNow + timeout;
        while (Volatile.Read(ref _seen) < target)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the key history saw revision {Volatile.Read(ref _seen)}, etcd is at {target}");
            }
            // A progress request makes etcd tell the revision the watch has reached, events or not.
            try
            {
                if (_call is { } call)
                {
                    await call.RequestStream.WriteAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() });
                }
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException)
            {
                // The stream is being reopened; the next round asks again.
            }
            await Task.Delay(100);
        }
    }

    private async Task WatchAsync(TaskCompletionSource created)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var call = _client.GetConnection().WatchClient.Watch(cancellationToken: _stop.Token);
                _call = call;
                await call.RequestStream.WriteAsync(new WatchRequest
                {
                    CreateRequest = new WatchCreateRequest { Key = _prefix, RangeEnd = _end, StartRevision = _next, Fragment = true },
                });
                while (await call.ResponseStream.MoveNext(_stop.Token))
                {
                    var response = call.ResponseStream.Current;
                    if (response.Created)
                    {
                        created.TrySetResult();
                    }
                    if (response.Canceled)
                    {
                        // Compacted past what the watch had read: those puts are gone from etcd's history.
                        Gap = $"etcd compacted to revision {response.CompactRevision} before the watch read revision {_next}";
                        _next = Math.Max(_next, response.CompactRevision);
                        WholeFrom = Math.Max(WholeFrom, response.CompactRevision + 1);
                        break;
                    }
                    lock (_lock)
                    {
                        foreach (var e in response.Events.Where(e => e.Type == Mvccpb.Event.Types.EventType.Put))
                        {
                            var key = e.Kv.Key.ToStringUtf8();
                            (_puts.TryGetValue(key, out var puts) ? puts : _puts[key] = [])[e.Kv.ModRevision] = e.Kv.Value;
                        }
                    }
                    if (response.Events.Count > 0)
                    {
                        _next = Math.Max(_next, response.Events[^1].Kv.ModRevision + 1);
                    }
                    // The header says how far the watch has read when no event is pending (progress notifications).
                    var reached = response.Events.Count > 0 ? response.Events[^1].Kv.ModRevision : response.Header.Revision;
                    if (!response.Fragment)
                    {
                        Volatile.Write(ref _seen, Math.Max(Volatile.Read(ref _seen), reached));
                    }
                }
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                // A member killed under the watch: open it again where it stopped.
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _call = null;
            await Task.Delay(200);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_watching is not null)
        {
            try
            {
                await _watching;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
    }
}
