using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Testing.Kubernetes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EtcdHygiene.Kubernetes.Tests.Runtime;

public sealed class EventRecorderTests
{
    private static readonly ResourceKind Events = new("api/v1", "events");

    [Fact]
    public async Task ARepeatedEvent_BumpsTheCountOfTheFirst_UntilTheWindowPasses()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T12:00:00Z"));
        var recorder = new EventRecorder(new k8s.Kubernetes(new KubernetesClientConfiguration { Host = api.Url }), "etcd-hygiene", time, NullLogger.Instance);
        var subject = new V1ObjectReference { Kind = "RegistryPolicy", Name = "registry", NamespaceProperty = "ns", Uid = "u1" };

        await recorder.RecordAsync(subject, "Warning", "DefragBlocked", "m3 is unreachable");
        await recorder.RecordAsync(subject, "Warning", "DefragBlocked", "m3 is unreachable");
        await recorder.RecordAsync(subject, "Normal", "Defragmented", "Defragment m2");
        time.Advance(TimeSpan.FromMinutes(11));
        await recorder.RecordAsync(subject, "Warning", "DefragBlocked", "m3 is unreachable");

        // The two events older than the window are no longer held in memory.
        Assert.Equal(1, recorder.Remembered);
        var events = api.List(Events).OrderBy(e => (string)e["metadata"]!["name"]!).ToList();
        Assert.Equal(3, events.Count);
        var counts = events.Select(e => ((string)e["reason"]!, (int)e["count"]!)).Order().ToList();
        Assert.Equal([("DefragBlocked", 1), ("DefragBlocked", 2), ("Defragmented", 1)], counts);
        Assert.All(events, e =>
        {
            Assert.Equal("registry", (string?)e["involvedObject"]!["name"]);
            Assert.Equal("etcd-hygiene", (string?)e["source"]!["component"]);
        });
    }
}
