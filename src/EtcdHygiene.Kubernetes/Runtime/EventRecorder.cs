using System.Collections.Concurrent;
using EtcdHygiene.Core.Policy;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// Records core/v1 Events on an object (Normal or Warning, CamelCase reasons). The same event
/// repeated within ten minutes bumps the count of the first instead of adding another, as
/// kubectl describe shows them. Recording is best effort: a failure is logged, never thrown.
/// </summary>
public sealed class EventRecorder
{
    private static readonly TimeSpan AggregationWindow = TimeSpan.FromMinutes(10);
    private readonly IKubernetes _client;
    private readonly string _component;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(string, string, string, string), (string Name, int Count, DateTimeOffset First)> _recent = new();

    /// <summary>Creates a recorder reporting as <paramref name="component"/>.</summary>
    public EventRecorder(IKubernetes client, string component, TimeProvider time, ILogger logger)
    {
        _client = client;
        _component = component;
        _time = time;
        _logger = logger;
    }

    /// <summary>Events still inside the aggregation window (for tests and diagnostics).</summary>
    public int Remembered => _recent.Count;

    /// <summary>Records an event about <paramref name="subject"/>.</summary>
    public async Task RecordAsync(V1ObjectReference subject, string type, string reason, string message, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var key = (subject.Uid ?? $"{subject.NamespaceProperty}/{subject.Name}", type, reason, message);
        try
        {
            if (_recent.TryGetValue(key, out var seen) && now - seen.First < AggregationWindow)
            {
                var count = seen.Count + 1;
                var patch = new V1Patch($$"""{"count":{{count}},"lastTimestamp":"{{StatusTime.Write(now)}}"}""", V1Patch.PatchType.MergePatch);
                await _client.CoreV1.PatchNamespacedEventAsync(patch, seen.Name, subject.NamespaceProperty, cancellationToken: cancellationToken);
                _recent[key] = seen with { Count = count };
                return;
            }
            var name = $"{subject.Name}.{now.ToUnixTimeMilliseconds():x}{Random.Shared.Next(0x1000):x3}";
            await _client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = subject.NamespaceProperty },
                InvolvedObject = subject,
                Type = type,
                Reason = reason,
                Message = message.Length > 1024 ? message[..1021] + "..." : message,
                Count = 1,
                FirstTimestamp = now.UtcDateTime,
                LastTimestamp = now.UtcDateTime,
                Source = new V1EventSource { Component = _component },
                ReportingComponent = _component,
            }, subject.NamespaceProperty, cancellationToken: cancellationToken);
            _recent[key] = (name, 1, now);
            ForgetExpired(now);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning("Could not record event {Reason} on {Namespace}/{Name}: {Error}", reason, subject.NamespaceProperty, subject.Name, e.Message);
        }
    }

    /// <summary>
    /// Messages carry sizes and durations, so most events are new: without this, every event the
    /// operator ever recorded would stay in memory. Past the window an event can no longer be
    /// aggregated, so it is dropped.
    /// </summary>
    private void ForgetExpired(DateTimeOffset now)
    {
        foreach (var (key, seen) in _recent)
        {
            if (now - seen.First >= AggregationWindow)
            {
                _recent.TryRemove(key, out _);
            }
        }
    }
}
