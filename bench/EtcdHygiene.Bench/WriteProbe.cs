using System.Diagnostics;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace EtcdHygiene.Bench;

/// <summary>
/// A client that puts a registry-sized value at a fixed pace and records when each put started,
/// how long it took and whether etcd accepted it: the latency a registering service would see.
/// </summary>
internal sealed class WriteProbe : IAsyncDisposable
{
    private readonly TimeSpan _putTimeout;
    private readonly List<(DateTimeOffset At, TimeSpan Latency, bool Ok)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private WriteProbe(EtcdClient client, TimeSpan every, TimeSpan putTimeout, string keyPrefix)
    {
        _putTimeout = putTimeout;
        _keyPrefix = keyPrefix;
        _loop = Task.Run(() => RunAsync(client, every, _stop.Token));
    }

    private readonly string _keyPrefix;

    /// <summary>
    /// Starts putting. A put gets <paramref name="putTimeout"/> (5 s unless told): longer than
    /// etcd's own request timeout (5 s + 2 election timeouts) when the answer etcd gives matters.
    /// </summary>
    public static WriteProbe Start(EtcdClient client, TimeSpan every, TimeSpan? putTimeout = null, string keyPrefix = "/bench/probe/") =>
        new(client, every, putTimeout ?? TimeSpan.FromSeconds(5), keyPrefix);

    /// <summary>The samples of puts that started in [from, to).</summary>
    public List<(DateTimeOffset At, TimeSpan Latency, bool Ok)> Between(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_samples)
        {
            return _samples.Where(s => s.At >= from && s.At < to).ToList();
        }
    }

    /// <summary>
    /// The cluster write stall in [from, to): the longest time in which no put etcd accepted
    /// completed on any of <paramref name="probes"/> (one per member, as registry clients spread).
    /// </summary>
    public static TimeSpan ClusterStall(IEnumerable<WriteProbe> probes, DateTimeOffset from, DateTimeOffset to)
    {
        var completions = probes.SelectMany(p => p.Between(DateTimeOffset.MinValue, DateTimeOffset.MaxValue))
            .Where(s => s.Ok).Select(s => s.At + s.Latency).Where(t => t > from && t < to).Order().ToList();
        return new[] { from }.Concat(completions).Zip(completions.Append(to), (a, b) => b - a).Max();
    }

    /// <summary>When the first put that etcd accepted after <paramref name="from"/> finished.</summary>
    public DateTimeOffset? FirstAcceptedAfter(DateTimeOffset from)
    {
        lock (_samples)
        {
            return _samples.Where(s => s.Ok && s.At >= from).Select(s => (DateTimeOffset?)(s.At + s.Latency)).Min();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    /// <summary>
    /// Starts a put every <paramref name="every"/> without waiting for the previous one, as
    /// independent service instances would: one stuck put must not hide the ones after it.
    /// </summary>
    private async Task RunAsync(EtcdClient client, TimeSpan every, CancellationToken stop)
    {
        var value = ByteString.CopyFrom(new byte[1024]);
        var inFlight = new List<Task>();
        using var timer = new PeriodicTimer(every);
        try
        {
            for (var i = 0; await timer.WaitForNextTickAsync(stop); i++)
            {
                inFlight.Add(PutAsync(client, $"{_keyPrefix}{i % 100}", value));
                inFlight.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(inFlight);
    }

    private async Task PutAsync(EtcdClient client, string key, ByteString value)
    {
        var at = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var ok = true;
        try
        {
            await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = value }, deadline: DateTime.UtcNow.Add(_putTimeout));
        }
        catch (Exception)
        {
            ok = false;
        }
        lock (_samples)
        {
            _samples.Add((at, clock.Elapsed, ok));
        }
    }
}
