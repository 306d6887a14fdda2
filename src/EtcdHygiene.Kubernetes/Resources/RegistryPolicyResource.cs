using System.Text.Json.Serialization;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Kubernetes.Crd;
using k8s;
using k8s.Models;

namespace EtcdHygiene.Kubernetes.Resources;

/// <summary>A RegistryPolicy as the API server serves it, for KubernetesClient's JSON.</summary>
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
}
