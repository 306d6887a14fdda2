using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
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
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    // When the current status is unknown there is nothing to remove, and a null would wipe what the writer could not read.
    private static readonly JsonSerializerOptions JsonWithoutNulls = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private readonly IKubernetes _client;
    private readonly string _group, _version, _plural;
    private readonly ILogger _logger;

    /// <summary>Creates a patcher for one custom resource type.</summary>
    public StatusPatcher(IKubernetes client, string group, string version, string plural, ILogger logger)
    {
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
            var stored = await _client.CustomObjects.GetNamespacedCustomObjectAsync(_group, _version, ns, _plural, name, cancellationToken);
            var node = JsonSerializer.SerializeToNode(stored)!;
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
        var options = current is null ? JsonWithoutNulls : Json;
        var desiredJson = JsonSerializer.SerializeToNode(desired, options);
        if (current is not null && JsonNode.DeepEquals(JsonSerializer.SerializeToNode(current, Json), desiredJson))
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
                var written = await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
                    new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), _group, _version, ns, _plural, name, cancellationToken: cancellationToken);
                return (string?)JsonSerializer.SerializeToNode(written)?["metadata"]?["resourceVersion"] ?? resourceVersion;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
                var stored = await ReadAsync<TStatus>(ns, name, cancellationToken)
                    ?? throw new StatusConflictException($"{ns}/{name} was deleted while its status was being written");
                if (!JsonNode.DeepEquals(JsonSerializer.SerializeToNode(stored.Status, Json), JsonSerializer.SerializeToNode(current, Json)))
                {
                    throw new StatusConflictException($"the status of {ns}/{name} was written by someone else since this writer read it (resourceVersion {resourceVersion} → {stored.ResourceVersion})");
                }
                _logger.LogDebug("{Namespace}/{Name} changed outside its status (attempt {Attempt}); writing the status again on version {Version}",
                    ns, name, attempt, stored.ResourceVersion);
                resourceVersion = stored.ResourceVersion;
            }
        }
    }

    private static TStatus? ReadStatus<TStatus>(JsonNode? status) where TStatus : class
    {
        try
        {
            return status?.Deserialize<TStatus>(Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
