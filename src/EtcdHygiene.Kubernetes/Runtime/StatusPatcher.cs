using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// Reads and writes a custom resource's status through the status subresource. Writes are JSON
/// merge patches that carry the resourceVersion the writer last saw, so that a status written by
/// someone else meanwhile (a newer leader) is never overwritten: see <see cref="PatchAsync{TStatus}"/>.
/// </summary>
public sealed class StatusPatcher
{
    // Nulls are written on purpose: in a merge patch they remove fields the new status no longer has.
    private readonly JsonSerializerOptions _json;
    // When the current status is unknown there is nothing to remove, and a null would wipe what the writer could not read.
    private readonly JsonSerializerOptions _jsonWithoutNulls;
    private readonly KubernetesApi _client;
    private readonly string _group, _version, _plural;
    private readonly ILogger _logger;

    /// <summary>
    /// Creates a patcher for one custom resource type, whose status types <paramref name="statusJson"/>
    /// (source-generated: Native AOT has no reflection-based JSON) reads and writes.
    /// </summary>
    public StatusPatcher(KubernetesApi client, string group, string version, string plural, IJsonTypeInfoResolver statusJson, ILogger logger)
    {
        _json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = statusJson };
        _jsonWithoutNulls = new JsonSerializerOptions(_json) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
        _client = client;
        _group = group;
        _version = version;
        _plural = plural;
        _logger = logger;
    }

    /// <summary>
    /// The object's status as stored now and its resourceVersion; the status is null when there is
    /// none or it cannot be read into <typeparamref name="TStatus"/>. Null when the object is gone.
    /// </summary>
    public async Task<StoredStatus<TStatus>?> ReadAsync<TStatus>(string ns, string name, CancellationToken cancellationToken) where TStatus : class
    {
        try
        {
            var node = await _client.SendAsync(HttpMethod.Get, ObjectPath(ns, name), cancellationToken: cancellationToken);
            return new StoredStatus<TStatus>(ReadStatus<TStatus>(node["status"]), (string?)node["metadata"]?["resourceVersion"] ?? "");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes <paramref name="desired"/> unless it equals <paramref name="current"/>, on condition
    /// that the object is still at <paramref name="resourceVersion"/>; returns the resourceVersion
    /// after the write. On a conflict the object is read again: if its status is still
    /// <paramref name="current"/> (someone changed the spec or the metadata), the write is retried
    /// on the new version; if the status changed, someone else writes it and
    /// <see cref="StatusConflictException"/> is thrown instead of overwriting what they wrote.
    /// </summary>
    public async Task<string> PatchAsync<TStatus>(string ns, string name, TStatus? current, TStatus desired, string resourceVersion,
        CancellationToken cancellationToken = default) where TStatus : class
    {
        var desiredJson = JsonSerializer.SerializeToNode(desired, TypeInfo<TStatus>(current is null ? _jsonWithoutNulls : _json));
        if (current is not null && JsonNode.DeepEquals(ToNode(current), desiredJson))
        {
            return resourceVersion;
        }
        for (var attempt = 1; ; attempt++)
        {
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
                ["status"] = desiredJson?.DeepClone(),
            };
            try
            {
                var written = await _client.SendAsync(HttpMethod.Patch, ObjectPath(ns, name) + "/status", KubernetesApi.MergePatch(patch), cancellationToken);
                return (string?)written["metadata"]?["resourceVersion"] ?? resourceVersion;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
                var stored = await ReadAsync<TStatus>(ns, name, cancellationToken)
                    ?? throw new StatusConflictException($"{ns}/{name} was deleted while its status was being written");
                if (!JsonNode.DeepEquals(ToNode(stored.Status), ToNode(current)))
                {
                    throw new StatusConflictException($"the status of {ns}/{name} was written by someone else since this writer read it (resourceVersion {resourceVersion} → {stored.ResourceVersion})");
                }
                _logger.LogDebug("{Namespace}/{Name} changed outside its status (attempt {Attempt}); writing the status again on version {Version}",
                    ns, name, attempt, stored.ResourceVersion);
                resourceVersion = stored.ResourceVersion;
            }
        }
    }

    private string ObjectPath(string ns, string name) =>
        $"apis/{_group}/{_version}/namespaces/{Uri.EscapeDataString(ns)}/{_plural}/{Uri.EscapeDataString(name)}";

    private JsonNode? ToNode<TStatus>(TStatus? status) where TStatus : class =>
        status is null ? null : JsonSerializer.SerializeToNode(status, TypeInfo<TStatus>(_json));

    private static JsonTypeInfo<TStatus> TypeInfo<TStatus>(JsonSerializerOptions options) => (JsonTypeInfo<TStatus>)options.GetTypeInfo(typeof(TStatus));

    private TStatus? ReadStatus<TStatus>(JsonNode? status) where TStatus : class
    {
        try
        {
            return status?.Deserialize(TypeInfo<TStatus>(_json));
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
