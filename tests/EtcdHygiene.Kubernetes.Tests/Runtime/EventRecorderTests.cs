using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Testing.Kubernetes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EtcdHygiene.Kubernetes.Tests.Runtime;

/// <summary>Events as client-go's EventCorrelator records them, against the test API server, on a fake clock.</summary>
public sealed class EventRecorderTests
{
    private static readonly ResourceKind Events = new("api/v1", "events");
    private static readonly V1ObjectReference Subject = new() { Kind = "RegistryPolicy", Name = "registry", NamespaceProperty = "ns", Uid = "u1" };

    [Fact]
    public async Task ThousandCompactionsAtTheDefaultInterval_WriteOneEventObject_WithTheirCount_AndTheLatestMessage()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        var (time, recorder) = Recorder(api);

        // The default compaction interval is 5 minutes; every message differs (its revision).
        for (var i = 1; i <= 1000; i++)
        {
            await recorder.RecordAsync(Subject, "Normal", "Compacted", $"Compacted to revision {i * 1000} (periodic, retention 1h)");
            time.Advance(TimeSpan.FromMinutes(5));
        }

        var events = api.List(Events);
        var only = Assert.Single(events);
        Assert.Equal(1000, (int)only["count"]!);
        Assert.Equal(("registry", "etcd-hygiene", "Normal"), ((string?)only["involvedObject"]!["name"], (string?)only["source"]!["component"], (string?)only["type"]));
        Assert.Equal("Compacted to revision 1000000 (periodic, retention 1h)", (string?)only["message"]);
        Assert.Equal(DateTimeOffset.Parse("2026-11-25T12:00:00Z"), DateTimeOffset.Parse((string)only["firstTimestamp"]!));
        Assert.Equal(DateTimeOffset.Parse("2026-11-25T12:00:00Z") + TimeSpan.FromMinutes(5 * 999), DateTimeOffset.Parse((string)only["lastTimestamp"]!));
        Assert.Equal((1000, 1, 999, 0), (recorder.Recorded, recorder.Created, recorder.Aggregated, recorder.Dropped));

        // The count above can see more than one object: another reason, and a pause past the window, each make one.
        await recorder.RecordAsync(Subject, "Normal", "Defragmented", "Defragmented m1");
        time.Advance(EventRecorder.AggregationWindow + TimeSpan.FromMinutes(1));
        await recorder.RecordAsync(Subject, "Normal", "Compacted", "Compacted to revision 1001000 (periodic, retention 1h)");
        Assert.Equal(3, api.List(Events).Count);
    }

    [Fact]
    public async Task AFlood_IsCutAfterTheBurst_ThenRefillsSlowly_AndNeverSilencesAWarning()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        var (time, recorder) = Recorder(api);

        for (var i = 0; i < 1000; i++)
        {
            await recorder.RecordAsync(Subject, "Normal", "Compacted", $"Compacted to revision {i}");
        }
        await recorder.RecordAsync(Subject, "Warning", "DefragFailed", "m2: deadline exceeded");

        Assert.Equal(EventRecorder.Burst, Count("Compacted"));
        Assert.Equal(1000 - EventRecorder.Burst, recorder.Dropped);
        Assert.Equal(1, Count("DefragFailed"));

        // An hour later, one more every five minutes: twelve.
        time.Advance(TimeSpan.FromHours(1));
        for (var i = 0; i < 100; i++)
        {
            await recorder.RecordAsync(Subject, "Normal", "Compacted", $"Compacted to revision {2000 + i}");
        }
        Assert.Equal(EventRecorder.Burst + 12, api.List(Events).Where(e => (string?)e["reason"] == "Compacted").Sum(e => (int)e["count"]!));

        int Count(string reason) => api.List(Events).Where(e => (string?)e["reason"] == reason).Sum(e => (int)e["count"]!);
    }

    [Fact]
    public async Task SimilarEventsRecordedTogether_JoinOneObject()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        var (_, recorder) = Recorder(api);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => recorder.RecordAsync(Subject, "Warning", "DefragBlocked", $"m{i} is unreachable")));

        var only = Assert.Single(api.List(Events));
        Assert.Equal(20, (int)only["count"]!);
    }

    [Fact]
    public async Task AnEventTheApiServerLetExpire_IsCreatedAgain()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        var (_, recorder) = Recorder(api);

        await recorder.RecordAsync(Subject, "Warning", "DefragBlocked", "m3 is unreachable");
        api.Delete(Events, "ns", (string)api.List(Events).Single()["metadata"]!["name"]!);
        await recorder.RecordAsync(Subject, "Warning", "DefragBlocked", "m3 is still unreachable");

        var again = Assert.Single(api.List(Events));
        Assert.Equal((1, "m3 is still unreachable"), ((int)again["count"]!, (string?)again["message"]));
    }

    [Fact]
    public async Task WhatNoLongerMatters_IsForgotten()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        var (time, recorder) = Recorder(api);
        var other = new V1ObjectReference { Kind = "RegistryPolicy", Name = "other", NamespaceProperty = "ns", Uid = "u2" };

        await recorder.RecordAsync(Subject, "Warning", "DefragBlocked", "m3 is unreachable");
        await recorder.RecordAsync(Subject, "Normal", "Compacted", "Compacted to revision 10");
        Assert.Equal(2, recorder.Remembered);

        // Past the window and long enough for the buckets to refill, another object's event sweeps them away.
        time.Advance(TimeSpan.FromHours(3));
        await recorder.RecordAsync(other, "Normal", "Compacted", "Compacted to revision 20");
        Assert.Equal(1, recorder.Remembered);
    }

    private static (FakeTimeProvider Time, EventRecorder Recorder) Recorder(FakeKubernetesApi api)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T12:00:00Z"));
        return (time, new EventRecorder(KubernetesApi.Create(new KubernetesClientConfiguration { Host = api.Url }), "etcd-hygiene", time, NullLogger.Instance));
    }
}
