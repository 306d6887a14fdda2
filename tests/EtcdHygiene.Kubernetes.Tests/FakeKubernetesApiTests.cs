using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Testing.Kubernetes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace EtcdHygiene.Kubernetes.Tests;

/// <summary>
/// The API fake is only as useful as it is faithful: these pin the conventions the controller
/// relies on, spoken through the real KubernetesClient.
/// </summary>
public sealed class FakeKubernetesApiTests : AgainstTheFakeApi
{
    [Fact]
    public async Task SpecChangesBumpGeneration_StatusWritesDoNot_AndEveryWriteBumpsTheResourceVersion()
    {
        var created = await CreateAsync("a");
        Assert.Equal(1, (long)created["metadata"]!["generation"]!);

        var statusPatched = await PatchAsync("a", new { status = new { observedGeneration = 1, alarm = "NOSPACE" } }, status: true);
        Assert.Equal(1, (long)statusPatched["metadata"]!["generation"]!);
        Assert.Equal("NOSPACE", (string?)statusPatched["status"]!["alarm"]);
        Assert.NotEqual((string?)created["metadata"]!["resourceVersion"], (string?)statusPatched["metadata"]!["resourceVersion"]);

        var specPatched = await PatchAsync("a", new { spec = new { compaction = new { retention = "2h" } }, status = new { alarm = "ignored" } }, status: false);
        Assert.Equal(2, (long)specPatched["metadata"]!["generation"]!);
        Assert.Equal("NOSPACE", (string?)specPatched["status"]!["alarm"]); // status only changes through /status
        Assert.Equal("2h", (string?)specPatched["spec"]!["compaction"]!["retention"]);
        Assert.NotNull(specPatched["spec"]!["etcd"]); // merge patch keeps what it does not name
    }

    [Fact]
    public async Task AStaleResourceVersion_Gets409Conflict()
    {
        var created = await CreateAsync("a");
        await PatchAsync("a", new { spec = new { suspend = true } }, status: false);

        var stale = created.DeepClone().AsObject();
        stale["spec"]!["dryRun"] = true;
        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(stale, RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, Ns, RegistryPolicyCrd.Plural, "a"));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        Assert.Contains("\"reason\":\"Conflict\"", error.Response.Content);
    }

    [Fact]
    public async Task AMergePatch_ConflictsOnlyWhenItCarriesAStaleResourceVersion()
    {
        var created = await CreateAsync("a");
        var read = (string?)created["metadata"]!["resourceVersion"];
        Api.ChangeBeforeNextStatusWrites(2);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            PatchAsync("a", new { metadata = new { resourceVersion = read }, status = new { alarm = "x" } }, status: true));
        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        var applied = await PatchAsync("a", new { status = new { alarm = "x" } }, status: true);
        Assert.Equal("x", (string?)applied["status"]!["alarm"]);
    }

    [Fact]
    public async Task DeletingAnObjectWithFinalizers_MarksItUntilTheLastFinalizerGoes()
    {
        await CreateAsync("a", finalizers: ["etcdhygiene.io/cleanup"]);

        await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, Ns, RegistryPolicyCrd.Plural, "a");
        var marked = Api.Get(Policies, Ns, "a");
        Assert.NotNull(marked?["metadata"]?["deletionTimestamp"]);

        await PatchAsync("a", new { metadata = new { finalizers = (string[]?)null } }, status: false);
        Assert.Null(Api.Get(Policies, Ns, "a"));
    }

    [Fact]
    public async Task AnUnknownObject_Is404_AndAListCarriesItsResourceVersion()
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.CustomObjects.GetNamespacedCustomObjectAsync(RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, Ns, RegistryPolicyCrd.Plural, "missing"));
        Assert.Equal(HttpStatusCode.NotFound, error.Response.StatusCode);

        await CreateAsync("a");
        var list = JsonNode.Parse(JsonSerializer.Serialize(await Client.CustomObjects.ListNamespacedCustomObjectAsync(RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, Ns, RegistryPolicyCrd.Plural)))!;
        Assert.Equal("RegistryPolicyList", (string?)list["kind"]);
        Assert.False(string.IsNullOrEmpty((string?)list["metadata"]!["resourceVersion"]));
        Assert.Single(list["items"]!.AsArray());
    }

    private async Task<JsonObject> CreateAsync(string name, string[]? finalizers = null)
    {
        var body = new JsonObject
        {
            ["apiVersion"] = $"{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}",
            ["kind"] = "RegistryPolicy",
            ["metadata"] = new JsonObject { ["name"] = name, ["finalizers"] = finalizers is null ? null : new JsonArray(finalizers.Select(f => (JsonNode)f).ToArray()) },
            ["spec"] = new JsonObject { ["etcd"] = new JsonObject { ["endpoints"] = new JsonArray("http://127.0.0.1:2379") } },
        };
        var created = await Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, Ns, RegistryPolicyCrd.Plural);
        return JsonNode.Parse(JsonSerializer.Serialize(created))!.AsObject();
    }

    private async Task<JsonObject> PatchAsync(string name, object patch, bool status)
    {
        var body = new V1Patch(JsonSerializer.Serialize(patch), V1Patch.PatchType.MergePatch);
        var result = status
            ? await Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(body, RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, Ns, RegistryPolicyCrd.Plural, name)
            : await Client.CustomObjects.PatchNamespacedCustomObjectAsync(body, RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, Ns, RegistryPolicyCrd.Plural, name);
        return JsonNode.Parse(JsonSerializer.Serialize(result))!.AsObject();
    }
}
