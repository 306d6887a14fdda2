using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace EtcdHygiene.Kubernetes.Resources;

/// <summary>
/// Source-generated JSON for our resources, with KubernetesClient's own settings (camelCase, nulls
/// left out, its date and time converters) so that they read and write as its models do. Native AOT
/// has no reflection-based serializer: a type the operator sends or reads must be listed here.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    Converters = [typeof(KubernetesJson.Iso8601TimeSpanConverter), typeof(KubernetesJson.KubernetesDateTimeConverter), typeof(KubernetesJson.KubernetesDateTimeOffsetConverter)])]
[JsonSerializable(typeof(RegistryPolicyResource))]
[JsonSerializable(typeof(JsonNode))]
// What the operator reads and writes besides its own resource (Runtime/KubernetesApi).
[JsonSerializable(typeof(V1Lease))]
[JsonSerializable(typeof(V1Secret))]
[JsonSerializable(typeof(Corev1Event))]
// The CRD, whose schema defaults are typed object: each type a default can have is listed.
[JsonSerializable(typeof(V1CustomResourceDefinition))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(int))]
public sealed partial class ResourceJson : JsonSerializerContext;
