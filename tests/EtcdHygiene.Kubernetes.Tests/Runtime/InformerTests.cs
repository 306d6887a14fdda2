using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Kubernetes.Resources;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Testing.Kubernetes;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Kubernetes.Tests.Runtime;

/// <summary>The informer against the in-process API server: list, watch, resume, relist on 410.</summary>
public sealed class InformerTests : IAsyncLifetime
{
    private static readonly ResourceKind Policies = new($"apis/{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}", RegistryPolicyCrd.Plural);
    private static readonly ResourceKind Leases = new("apis/coordination.k8s.io/v1", "leases");
    private readonly ConcurrentQueue<(InformerEventType Type, string Key, long Generation)> _events = new();
    private readonly CancellationTokenSource _stop = new();
    private FakeKubernetesApi _api = null!;
    private Informer<RegistryPolicyResource> _informer = null!;
    private Task _running = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        _api.BookmarkInterval = TimeSpan.FromMilliseconds(200);
        var client = KubernetesApi.Create(new KubernetesClientConfiguration { Host = _api.Url });
        var source = new CustomResourceSource<RegistryPolicyResource>(client, RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, RegistryPolicyCrd.Plural, ns: null, ResourceJson.Default.RegistryPolicyResource,
            RegistryPolicyResource.FromUnreadable);
        _informer = new Informer<RegistryPolicyResource>(source,
            (type, item) => _events.Enqueue((type, Informer<RegistryPolicyResource>.KeyOf(item), item.Metadata.Generation ?? 0)),
            TimeProvider.System, NullLogger.Instance);
    }

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        await _running;
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task ListsThenWatches_AddsChangesAndDeletes()
    {
        _api.Apply(Policies, "registry", Policy("a", "1h"));
        await StartAsync();
        Assert.Equal([(InformerEventType.Added, "registry/a", 1L)], _events);

        _api.Apply(Policies, "other", Policy("b", "1h"));
        _api.Apply(Policies, "registry", Policy("a", "2h"));
        _api.Delete(Policies, "other", "b");

        await WaitUntilAsync(() => _events.Count == 4);
        Assert.Equal(
        [
            (InformerEventType.Added, "registry/a", 1L),
            (InformerEventType.Added, "other/b", 1L),
            (InformerEventType.Modified, "registry/a", 2L),
            (InformerEventType.Deleted, "other/b", 1L),
        ], _events);
        Assert.Equal("2h", _informer.Get("registry/a")!.Spec!.Compaction!.Retention);
        Assert.Equal("2147483648", _informer.Get("registry/a")!.Spec!.Etcd!.QuotaBackendBytes);
        Assert.Single(_informer.Items);
    }

    [Fact]
    public async Task AWatchTheServerEnds_IsResumedFromTheLastVersion_WithoutRelisting()
    {
        await StartAsync();
        await WaitUntilAsync(() => _api.ActiveWatches == 1); // the list is done; now the watch is open too

        _api.EndWatches();
        _api.Apply(Policies, "registry", Policy("c", "1h"));

        await WaitUntilAsync(() => _events.Any(e => e.Key == "registry/c"));
        Assert.Equal(1, Lists());
        Assert.True(Watches() >= 2);
    }

    [Fact]
    public async Task After410Gone_ItRelists_AndNoticesWhatWasDeletedInTheGap()
    {
        _api.Apply(Policies, "registry", Policy("a", "1h"));
        _api.Apply(Policies, "registry", Policy("b", "1h"));
        await StartAsync();

        _api.WhileDisconnected(() =>
        {
            _api.Delete(Policies, "registry", "a");
            _api.Apply(Policies, "registry", Policy("b", "3h"));
            _api.Apply(Policies, "registry", Policy("c", "1h"));
        });

        await WaitUntilAsync(() => _events.Count == 5);
        Assert.Equal(2, Lists());
        Assert.Equal(
        [
            (InformerEventType.Deleted, "registry/a", 1L),
            (InformerEventType.Modified, "registry/b", 2L),
            (InformerEventType.Added, "registry/c", 1L),
        ], _events.Skip(2).OrderBy(e => e.Key));
        Assert.Equal(["registry/b", "registry/c"], _informer.Items.Select(Informer<RegistryPolicyResource>.KeyOf).Order());
    }

    [Fact]
    public async Task Bookmarks_AdvanceTheResourceVersion_WithoutEvents()
    {
        await StartAsync();
        var before = _informer.ResourceVersion;

        var lease = _api.Apply(Leases, "registry", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "elsewhere" }, ["spec"] = new JsonObject() });

        await WaitUntilAsync(() => _informer.ResourceVersion == (string?)lease["metadata"]!["resourceVersion"]);
        Assert.NotEqual(before, _informer.ResourceVersion);
        Assert.Empty(_events);
    }

    [Fact]
    public async Task ALargeList_IsReadInPages_AndTheWatchStartsAtTheFirstPagesVersion()
    {
        const int count = 2 * CustomResourceSource<RegistryPolicyResource>.PageSize + 1;
        for (var i = 0; i < count; i++)
        {
            _api.Apply(Policies, $"ns-{i % 7}", Policy($"p-{i:D5}", "1h"));
        }

        await StartAsync();

        Assert.Equal(count, _informer.Items.Count);
        var pages = _api.Requests.Where(r => r.StartsWith("GET ") && !r.Contains("watch=true")).ToList();
        Assert.Equal(3, pages.Count);
        Assert.All(pages, p => Assert.Contains($"limit={CustomResourceSource<RegistryPolicyResource>.PageSize}", p));
        Assert.Equal(2, pages.Count(p => p.Contains("continue=")));
        _api.Apply(Policies, "ns-0", Policy("after", "1h"));
        await WaitUntilAsync(() => _informer.Get("ns-0/after") is not null);
    }

    [Fact]
    public async Task AWatchThatEndsAtOnce_IsReopenedWithBackoff_NotInATightLoop()
    {
        _api.EndWatchesAtOnce = true;
        await StartAsync();
        await WaitUntilAsync(() => Watches() >= 2); // the count sees reopened watches

        await Task.Delay(TimeSpan.FromSeconds(3));

        // Backoff from 200 ms, doubling: about 5 in 3 s. Without it, hundreds.
        Assert.InRange(Watches(), 2, 10);
    }

    private async Task StartAsync()
    {
        _running = _informer.RunAsync(_stop.Token);
        await WaitUntilAsync(() => _informer.HasSynced);
    }

    private int Lists() => _api.Requests.Count(r => r.StartsWith("GET ") && !r.Contains("watch=true"));

    private int Watches() => _api.Requests.Count(r => r.Contains("watch=true"));

    private static JsonObject Policy(string name, string retention) => new()
    {
        ["apiVersion"] = $"{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}",
        ["kind"] = "RegistryPolicy",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            // Quantities are int-or-string: a plain number must not break the whole list.
            ["etcd"] = new JsonObject { ["endpoints"] = new JsonArray("http://127.0.0.1:2379"), ["quotaBackendBytes"] = 2147483648L },
            ["compaction"] = new JsonObject { ["retention"] = retention },
        },
    };

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 15 s");
            await Task.Delay(20);
        }
    }
}
