using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// Writes a custom resource's status through the status subresource as a JSON merge patch; skips
/// the write when nothing changed, and retries a 409 Conflict a few times.
/// </summary>
public sealed class StatusPatcher
{
    // Nulls are written on purpose: in a merge patch they remove fields the new status no longer has.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
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

    /// <summary>Writes <paramref name="desired"/>; returns false when it equals <paramref name="current"/>.</summary>
    public async Task<bool> PatchAsync<TStatus>(string ns, string name, TStatus? current, TStatus desired, CancellationToken cancellationToken = default)
    {
        var desiredJson = JsonSerializer.SerializeToNode(desired, Json);
        if (JsonNode.DeepEquals(JsonSerializer.SerializeToNode(current, Json), desiredJson))
        {
            return false;
        }
        var patch = new V1Patch(new JsonObject { ["status"] = desiredJson }.ToJsonString(), V1Patch.PatchType.MergePatch);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, _group, _version, ns, _plural, name, cancellationToken: cancellationToken);
                return true;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
                _logger.LogDebug("Status of {Namespace}/{Name} conflicted (attempt {Attempt}); retrying", ns, name, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), cancellationToken);
            }
        }
    }
}
