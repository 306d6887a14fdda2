using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Kubernetes.Resources;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// Records core/v1 Events on an object (Normal or Warning, CamelCase reasons) the way client-go's
/// EventCorrelator does, so that a policy compacting every five minutes for a year leaves a handful
/// of Event objects in the API server's etcd, not a hundred thousand:
/// <list type="bullet">
/// <item>Similar events — same object, type and reason, whatever the message (messages carry
/// revisions, sizes and durations) — within <see cref="AggregationWindow"/> of the last one go into
/// one Event: its count, last timestamp and message (the latest) are patched. Longer than
/// client-go's window, for the reason given there.</item>
/// <item>A token bucket per object and type (burst <see cref="Burst"/>, one token back every
/// <see cref="RefillEvery"/>, client-go's defaults) drops the rest of a flood, patches included.
/// Per type, unlike client-go: a flood of Normal events never silences a Warning.</item>
/// </list>
/// Recording is best effort: a failure is logged, never thrown.
/// </summary>
public sealed class EventRecorder
{
    /// <summary>
    /// How long after an event a similar one still joins it. client-go's 10 minutes would miss the
    /// most common event: at the defaults a compaction comes every 10 minutes (a revision sample is
    /// kept per tenth of the hour's retention, so every other 5-minute cycle has something new to
    /// compact). An hour is the API server's default event TTL (<c>--event-ttl</c>): an Event left
    /// alone that long is gone anyway, and every patch renews it.
    /// </summary>
    public static readonly TimeSpan AggregationWindow = TimeSpan.FromHours(1);

    /// <summary>Events an object may take at once, per type.</summary>
    public const int Burst = 25;

    /// <summary>How often an object gets one more event, per type, once its burst is spent.</summary>
    public static readonly TimeSpan RefillEvery = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);
    private readonly KubernetesApi _client;
    private readonly string _component;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ObjectEvents> _objects = new();
    private long _recorded, _created, _aggregated, _dropped;
    private DateTimeOffset _sweptAt;

    /// <summary>Creates a recorder reporting as <paramref name="component"/>.</summary>
    public EventRecorder(KubernetesApi client, string component, TimeProvider time, ILogger logger)
    {
        _client = client;
        _component = component;
        _time = time;
        _logger = logger;
        _sweptAt = time.GetUtcNow();
    }

    /// <summary>Events still inside the aggregation window, which a similar event would join.</summary>
    public int Remembered => _objects.Values.Sum(o => o.Count);

    /// <summary>Events asked for, whatever became of them.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    /// <summary>Event objects created.</summary>
    public long Created => Interlocked.Read(ref _created);

    /// <summary>Events that joined an Event object already there.</summary>
    public long Aggregated => Interlocked.Read(ref _aggregated);

    /// <summary>Events dropped by the rate limit.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Records an event about <paramref name="subject"/>.</summary>
    public async Task RecordAsync(V1ObjectReference subject, string type, string reason, string message, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _recorded);
        var objectKey = subject.Uid ?? $"{subject.NamespaceProperty}/{subject.Name}";
        var events = _objects.GetOrAdd(objectKey, _ => new ObjectEvents());
        message = message.Length > 1024 ? message[..1021] + "..." : message;
        // One object's events in order, so that two similar ones never both create; other objects go on meanwhile.
        await events.Gate.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            if (!events.Bucket(type, now).TryTake(now))
            {
                Interlocked.Increment(ref _dropped);
                if (events.StartDropping(type))
                {
                    _logger.LogWarning("Events of type {Type} on {Namespace}/{Name} come faster than {Burst} at once and one every {Refill}: dropping them for now ({Reason}: {Message})",
                        type, subject.NamespaceProperty, subject.Name, Burst, RefillEvery, reason, message);
                }
                return;
            }
            events.StopDropping(type);
            if (events.Similar(type, reason, now) is { } similar && await TryJoinAsync(subject, similar, message, now, cancellationToken))
            {
                events.Remember(type, reason, similar with { Count = similar.Count + 1, Last = now });
                Interlocked.Increment(ref _aggregated);
                return;
            }
            var name = await CreateAsync(subject, type, reason, message, now, cancellationToken);
            events.Remember(type, reason, new AggregatedEvent(name, 1, now));
            Interlocked.Increment(ref _created);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning("Could not record event {Reason} on {Namespace}/{Name}: {Error}", reason, subject.NamespaceProperty, subject.Name, e.Message);
        }
        finally
        {
            events.Gate.Release();
            ForgetIdle();
        }
    }

    /// <summary>Patches the similar Event; false when it is gone (expired by the API server's event TTL, or deleted).</summary>
    private async Task<bool> TryJoinAsync(V1ObjectReference subject, AggregatedEvent similar, string message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var patch = new JsonObject { ["count"] = similar.Count + 1, ["lastTimestamp"] = StatusTime.Write(now), ["message"] = message };
        try
        {
            await _client.SendAsync(HttpMethod.Patch, $"api/v1/namespaces/{Uri.EscapeDataString(subject.NamespaceProperty)}/events/{Uri.EscapeDataString(similar.Name)}",
                KubernetesApi.MergePatch(patch), cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task<string> CreateAsync(V1ObjectReference subject, string type, string reason, string message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var name = $"{subject.Name}.{now.ToUnixTimeMilliseconds():x}{Random.Shared.Next(0x1000):x3}";
        var created = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = subject.NamespaceProperty },
            InvolvedObject = subject,
            Type = type,
            Reason = reason,
            Message = message,
            Count = 1,
            FirstTimestamp = now.UtcDateTime,
            LastTimestamp = now.UtcDateTime,
            Source = new V1EventSource { Component = _component },
            ReportingComponent = _component,
        };
        await _client.SendAsync(HttpMethod.Post, $"api/v1/namespaces/{Uri.EscapeDataString(subject.NamespaceProperty)}/events",
            KubernetesApi.Json(created, ResourceJson.Default.Corev1Event), cancellationToken);
        return name;
    }

    /// <summary>
    /// At most once a minute, forgets what no longer changes anything: events past the window, full
    /// buckets, objects left with neither. Without it, every policy ever seen would stay in memory.
    /// </summary>
    private void ForgetIdle()
    {
        var now = _time.GetUtcNow();
        lock (_objects)
        {
            if (now - _sweptAt < SweepEvery)
            {
                return;
            }
            _sweptAt = now;
        }
        foreach (var (key, events) in _objects)
        {
            if (events.Gate.Wait(0))
            {
                try
                {
                    if (events.ForgetIdle(now))
                    {
                        _objects.TryRemove(key, out _);
                    }
                }
                finally
                {
                    events.Gate.Release();
                }
            }
        }
    }

    /// <summary>An Event object that similar events join while they come within the window.</summary>
    private sealed record AggregatedEvent(string Name, int Count, DateTimeOffset Last);

    /// <summary>What the recorder keeps about one object; used under <see cref="Gate"/> only.</summary>
    private sealed class ObjectEvents
    {
        private readonly Dictionary<(string Type, string Reason), AggregatedEvent> _recent = [];
        private readonly Dictionary<string, EventTokenBucket> _buckets = [];
        private readonly HashSet<string> _dropping = [];

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public int Count => _recent.Count;

        public EventTokenBucket Bucket(string type, DateTimeOffset now) =>
            _buckets.TryGetValue(type, out var bucket) ? bucket : _buckets[type] = new EventTokenBucket(Burst, RefillEvery, now);

        /// <summary>True the first time a type is dropped since it last got through: say it once.</summary>
        public bool StartDropping(string type) => _dropping.Add(type);

        public void StopDropping(string type) => _dropping.Remove(type);

        public AggregatedEvent? Similar(string type, string reason, DateTimeOffset now) =>
            _recent.TryGetValue((type, reason), out var similar) && now - similar.Last < AggregationWindow ? similar : null;

        public void Remember(string type, string reason, AggregatedEvent aggregated) => _recent[(type, reason)] = aggregated;

        /// <summary>Drops what is idle; true when nothing is left.</summary>
        public bool ForgetIdle(DateTimeOffset now)
        {
            foreach (var key in _recent.Where(r => now - r.Value.Last >= AggregationWindow).Select(r => r.Key).ToList())
            {
                _recent.Remove(key);
            }
            foreach (var type in _buckets.Where(b => b.Value.IsFull(now)).Select(b => b.Key).ToList())
            {
                _buckets.Remove(type);
                _dropping.Remove(type);
            }
            return _recent.Count == 0 && _buckets.Count == 0;
        }
    }
}
