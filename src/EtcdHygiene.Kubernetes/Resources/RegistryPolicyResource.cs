using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Kubernetes.Crd;
using k8s;
using k8s.Models;

namespace EtcdHygiene.Kubernetes.Resources;

/// <summary>A RegistryPolicy as the API server serves it (JSON: <see cref="ResourceJson"/>).</summary>
public sealed class RegistryPolicyResource : IKubernetesObject<V1ObjectMeta>
{
    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}";

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = RegistryPolicyManifest.ExpectedKind;

    /// <inheritdoc />
    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>What the user asks for.</summary>
    [JsonPropertyName("spec")]
    public RegistryPolicySpec? Spec { get; set; }

    /// <summary>What the operator reports.</summary>
    [JsonPropertyName("status")]
    public RegistryPolicyStatus? Status { get; set; }

    /// <summary>Why the object could not be read into this model (a field of the wrong type), null when it could.</summary>
    [JsonIgnore]
    public string? Unreadable { get; set; }

    /// <summary>
    /// The object that could not be read, as far as it can be: its metadata (so it can be reported
    /// on) and the reason, naming the field. Its spec and status are left empty.
    /// </summary>
    public static RegistryPolicyResource FromUnreadable(JsonNode item, JsonException error)
    {
        V1ObjectMeta metadata;
        try
        {
            metadata = item["metadata"]?.Deserialize(ResourceJson.Default.V1ObjectMeta) ?? new V1ObjectMeta();
        }
        catch (JsonException)
        {
            metadata = new V1ObjectMeta { Name = (string?)item["metadata"]?["name"], NamespaceProperty = (string?)item["metadata"]?["namespace"] };
        }
        var field = string.IsNullOrEmpty(error.Path) ? "the object" : error.Path.TrimStart('$', '.');
        return new RegistryPolicyResource
        {
            Metadata = metadata,
            Unreadable = $"{field} has the wrong type (stored under another version of the CRD schema?): {FirstSentence(error.Message)}",
        };
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
