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
/// The test API server admits RegistryPolicies as a real one does from the CRD: the structural
/// schema validates every write (422 naming the field), defaults are applied, unknown fields
/// pruned (or refused under strict field validation), and the CEL rules are evaluated.
/// </summary>
public sealed class AdmissionTests : AgainstTheFakeApi
{
    [Fact]
    public async Task ThePolicy_GetsTheSchemasDefaults_InTheSectionsItHas()
    {
        var created = await CreateAsync(new JsonObject { ["etcd"] = Etcd(), ["compaction"] = new JsonObject(), ["defragmentation"] = new JsonObject() });

        Assert.Equal("5m", (string?)created["spec"]!["compaction"]?["interval"]);
        Assert.Equal("10s", (string?)created["spec"]!["etcd"]!["requestTimeout"]);
        Assert.Equal("10s", (string?)created["spec"]!["defragmentation"]?["pauseBetweenMembers"]);
    }

    [Theory]
    [InlineData("""{ "compaction": { "mode": "Sometimes" } }""", "spec.compaction.mode", "Unsupported value: \"Sometimes\"")]
    [InlineData("""{ "analysis": { "topKeys": "ten" } }""", "spec.analysis.topKeys", "must be of type integer")]
    [InlineData("""{ "alarms": { "disarmBelowQuotaRatio": 1.5 } }""", "spec.alarms.disarmBelowQuotaRatio", "should be less than or equal to 1")]
    [InlineData("""{ "etcd": { "endpoints": [] } }""", "spec.etcd.endpoints", "should have at least 1 items")]
    [InlineData("""{ "etcd": { "endpoints": ["http://127.0.0.1:2379"], "requestTimeout": "10s", "defragTimeout": "1s" } }""", "spec.etcd",
        "defragTimeout must not be shorter than requestTimeout")]
    [InlineData("""{ "alarms": { "checkInterval": "100ms" } }""", "spec.alarms", "checkInterval must be at least 200ms")]
    public async Task WhatTheSchemaRefuses_Is422Invalid_NamingTheField(string spec, string field, string message)
    {
        var body = JsonNode.Parse(spec)!.AsObject();
        body["etcd"] ??= Etcd();

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => CreateAsync(body));

        Assert.Equal((HttpStatusCode)422, error.Response.StatusCode);
        var status = JsonNode.Parse(error.Response.Content)!;
        Assert.Equal("Invalid", (string?)status["reason"]);
        var cause = status["details"]!["causes"]!.AsArray().Single()!;
        Assert.Equal(field, (string?)cause["field"]);
        Assert.Contains(message, (string?)cause["message"]);
        Assert.StartsWith($"RegistryPolicy.etcdhygiene.io \"p\" is invalid: {field}: ", (string?)status["message"]);
    }

    [Fact]
    public async Task UnknownFields_ArePruned_RefusedUnderStrictValidation_AndWarnedAboutUnderWarn()
    {
        var spec = new JsonObject { ["etcd"] = Etcd(), ["compaction"] = new JsonObject { ["retentionn"] = "1h" } };

        var strict = await Assert.ThrowsAsync<HttpOperationException>(() => CreateAsync(spec, fieldValidation: "Strict"));
        Assert.Equal(HttpStatusCode.BadRequest, strict.Response.StatusCode);
        Assert.Contains("strict decoding error: unknown field \"spec.compaction.retentionn\"", (string?)JsonNode.Parse(strict.Response.Content)!["message"]);

        var created = await CreateAsync(spec);
        Assert.Null(created["spec"]!["compaction"]!["retentionn"]);
        Assert.Equal("5m", (string?)created["spec"]!["compaction"]!["interval"]);

        var warned = await Client.CustomObjects.PatchNamespacedCustomObjectWithHttpMessagesAsync(
            new V1Patch("""{"spec":{"suspendd":true}}""", V1Patch.PatchType.MergePatch), RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, Ns, RegistryPolicyCrd.Plural, "p",
            fieldValidation: "Warn");
        Assert.Contains(warned.Response.Headers.GetValues("Warning"), w => w.Contains("unknown field \\\"spec.suspendd\\\""));
    }

    [Fact]
    public async Task AStatusWrite_IsValidatedToo_AndUnknownStatusFieldsArePruned()
    {
        await CreateAsync(new JsonObject { ["etcd"] = Etcd() });

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => PatchStatusAsync(new { status = new { quotaPercent = "full" } }));
        Assert.Equal((HttpStatusCode)422, error.Response.StatusCode);
        Assert.Contains("status.quotaPercent", error.Response.Content);

        await PatchStatusAsync(new { status = new { quotaPercent = 40, notInTheSchema = true } });
        var stored = Api.Get(Policies, Ns, "p")!["status"]!;
        Assert.Equal(40, (long)stored["quotaPercent"]!);
        Assert.Null(stored["notInTheSchema"]);
    }

    [Fact]
    public async Task AnObjectStoredUnderAnEarlierSchema_CanStillGetItsStatus_WhileItsInvalidSpecStaysAsItIs()
    {
        Api.StoreAsIs(Policies, Ns, new JsonObject
        {
            ["apiVersion"] = "etcdhygiene.io/v1alpha1",
            ["kind"] = "RegistryPolicy",
            ["metadata"] = new JsonObject { ["name"] = "p" },
            ["spec"] = new JsonObject { ["etcd"] = Etcd(), ["compaction"] = new JsonObject { ["mode"] = "Sometimes" } },
        });

        await PatchStatusAsync(new { status = new { observedGeneration = 1 } });

        Assert.Equal(1, (long)Api.Get(Policies, Ns, "p")!["status"]!["observedGeneration"]!);
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"compaction":{"mode":"Never"}}}""", V1Patch.PatchType.MergePatch), RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, Ns, RegistryPolicyCrd.Plural, "p"));
        Assert.Equal((HttpStatusCode)422, error.Response.StatusCode);
    }

    private static JsonObject Etcd() => new() { ["endpoints"] = new JsonArray("http://127.0.0.1:2379") };

    private async Task<JsonObject> CreateAsync(JsonObject spec, string? fieldValidation = null)
    {
        var body = new JsonObject
        {
            ["apiVersion"] = $"{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}",
            ["kind"] = "RegistryPolicy",
            ["metadata"] = new JsonObject { ["name"] = "p" },
            ["spec"] = spec.DeepClone(),
        };
        var created = await Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, Ns, RegistryPolicyCrd.Plural,
            fieldValidation: fieldValidation);
        return JsonNode.Parse(JsonSerializer.Serialize(created))!.AsObject();
    }

    private Task<object> PatchStatusAsync(object patch) => Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
        new V1Patch(JsonSerializer.Serialize(patch), V1Patch.PatchType.MergePatch), RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, Ns, RegistryPolicyCrd.Plural, "p");
}
