using System.Text.Json.Nodes;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Testing.Kubernetes;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Kubernetes.Tests.Runtime;

public sealed class StatusPatcherTests : IAsyncLifetime
{
    private static readonly ResourceKind Policies = new($"apis/{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}", RegistryPolicyCrd.Plural);
    private FakeKubernetesApi _api = null!;
    private StatusPatcher _patcher = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        _api.Apply(Policies, "ns", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "p" },
            ["spec"] = new JsonObject { ["etcd"] = new JsonObject { ["endpoints"] = new JsonArray("http://127.0.0.1:2379") } },
        });
        _patcher = new StatusPatcher(KubernetesApi.Create(new KubernetesClientConfiguration { Host = _api.Url }),
            RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, RegistryPolicyCrd.Plural, EtcdHygiene.Core.Api.ApiJson.Default, NullLogger.Instance);
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private int Writes() => _api.Requests.Count(r => r.StartsWith("PATCH") && r.EndsWith("/status"));

    private JsonNode Stored() => _api.Get(Policies, "ns", "p")!["status"]!;

    private static RegistryPolicyStatus Kept(long reclaimed) =>
        new() { ObservedGeneration = 1, Alarm = "", LastDefrag = new LastDefragStatus { ReclaimedBytes = reclaimed } };

    [Fact]
    public async Task AnUnchangedStatus_IsNotWritten_AChangedOneIs_AndAFieldNoLongerThereIsRemoved()
    {
        var read = (await _patcher.ReadAsync<RegistryPolicyStatus>("ns", "p", default))!;
        Assert.Null(read.Status);

        var version = await _patcher.PatchAsync("ns", "p", null, Kept(5), read.ResourceVersion);
        Assert.Equal(5, (long)Stored()["lastDefrag"]!["reclaimedBytes"]!);
        Assert.Equal(version, (string?)_api.Get(Policies, "ns", "p")!["metadata"]!["resourceVersion"]);

        Assert.Equal(version, await _patcher.PatchAsync("ns", "p", Kept(5), Kept(5), version));
        Assert.Equal(1, Writes());

        await _patcher.PatchAsync("ns", "p", Kept(5), new RegistryPolicyStatus { ObservedGeneration = 2, Alarm = "" }, version);
        Assert.Null(Stored()["lastDefrag"]);
    }

    [Fact]
    public async Task AChangeOutsideTheStatus_Meanwhile_IsNoConflict_TheWriteGoesOnTheNewVersion()
    {
        var read = (await _patcher.ReadAsync<RegistryPolicyStatus>("ns", "p", default))!;
        _api.ChangeBeforeNextStatusWrites(2);

        await _patcher.PatchAsync("ns", "p", null, Kept(7), read.ResourceVersion);

        Assert.Equal(3, Writes()); // two 409s on a stale version, then the write
        Assert.Equal(7, (long)Stored()["lastDefrag"]!["reclaimedBytes"]!);
        Assert.Equal("someone else", (string?)_api.Get(Policies, "ns", "p")!["metadata"]!["annotations"]!["touched-by"]);
    }

    [Fact]
    public async Task AStatusWrittenBySomeoneElse_Meanwhile_IsNeverOverwritten()
    {
        var read = (await _patcher.ReadAsync<RegistryPolicyStatus>("ns", "p", default))!;
        var version = await _patcher.PatchAsync("ns", "p", null, Kept(5), read.ResourceVersion);
        // A newer leader records its own defragmentation.
        var theirs = (await _patcher.ReadAsync<RegistryPolicyStatus>("ns", "p", default))!;
        await _patcher.PatchAsync("ns", "p", theirs.Status, Kept(9), theirs.ResourceVersion);

        var error = await Assert.ThrowsAsync<StatusConflictException>(() => _patcher.PatchAsync("ns", "p", Kept(5), Kept(6), version));

        Assert.Contains("written by someone else", error.Message);
        Assert.Equal(9, (long)Stored()["lastDefrag"]!["reclaimedBytes"]!);
    }

    [Fact]
    public async Task AStatusThatCannotBeRead_IsNotWiped_ByAWriteThatDoesNotKnowIt()
    {
        var stored = _api.Get(Policies, "ns", "p")!;
        stored["status"] = new JsonObject { ["lastDefrag"] = new JsonObject { ["reclaimedBytes"] = "not a number" }, ["revision"] = 4071L };
        _api.StoreAsIs(Policies, "ns", stored);
        var read = (await _patcher.ReadAsync<RegistryPolicyStatus>("ns", "p", default))!;
        Assert.Null(read.Status);

        await _patcher.PatchAsync("ns", "p", read.Status, new RegistryPolicyStatus { ObservedGeneration = 3 }, read.ResourceVersion);

        Assert.Equal(3, (long)Stored()["observedGeneration"]!);
        Assert.Equal(4071, (long)Stored()["revision"]!);
        Assert.Equal("not a number", (string?)Stored()["lastDefrag"]!["reclaimedBytes"]);
    }
}
