using System.Text.Json.Nodes;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Testing.Kubernetes;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Kubernetes.Tests.Runtime;

public sealed class StatusPatcherTests
{
    private static readonly ResourceKind Policies = new($"apis/{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}", RegistryPolicyCrd.Plural);

    [Fact]
    public async Task AnUnchangedStatus_IsNotWritten_AChangedOneIs_AndConflictsAreRetried()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        api.Apply(Policies, "ns", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "p" },
            ["spec"] = new JsonObject { ["etcd"] = new JsonObject { ["endpoints"] = new JsonArray("http://127.0.0.1:2379") } },
        });
        var patcher = new StatusPatcher(new k8s.Kubernetes(new KubernetesClientConfiguration { Host = api.Url }),
            RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, RegistryPolicyCrd.Plural, NullLogger.Instance);
        var status = new RegistryPolicyStatus { ObservedGeneration = 1, Alarm = "", LastDefrag = new LastDefragStatus { ReclaimedBytes = 5 } };
        int Writes() => api.Requests.Count(r => r.StartsWith("PATCH") && r.EndsWith("/status"));

        Assert.False(await patcher.PatchAsync("ns", "p", status, new RegistryPolicyStatus { ObservedGeneration = 1, Alarm = "", LastDefrag = new LastDefragStatus { ReclaimedBytes = 5 } }));
        Assert.Equal(0, Writes());

        api.ConflictNextStatusWrites(2);
        Assert.True(await patcher.PatchAsync("ns", "p", null, status));
        Assert.Equal(3, Writes());
        Assert.Equal(5, (long)api.Get(Policies, "ns", "p")!["status"]!["lastDefrag"]!["reclaimedBytes"]!);

        // A field the new status no longer has is removed, not left stale.
        Assert.True(await patcher.PatchAsync("ns", "p", status, new RegistryPolicyStatus { ObservedGeneration = 2, Alarm = "" }));
        Assert.Null(api.Get(Policies, "ns", "p")!["status"]!["lastDefrag"]);
    }
}
