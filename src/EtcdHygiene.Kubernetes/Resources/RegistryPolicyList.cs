using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace EtcdHygiene.Kubernetes.Resources;

/// <summary>A list of RegistryPolicies, as LIST returns it.</summary>
public sealed class RegistryPolicyList : IKubernetesObject<V1ListMeta>, IItems<RegistryPolicyResource>
{
    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    /// <inheritdoc />
    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    /// <inheritdoc />
    [JsonPropertyName("items")]
    public IList<RegistryPolicyResource> Items { get; set; } = [];
}
