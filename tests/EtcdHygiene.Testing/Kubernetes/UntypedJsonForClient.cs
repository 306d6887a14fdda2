using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;

namespace EtcdHygiene.Testing.Kubernetes;

/// <summary>
/// Lets tests hand KubernetesClient.Aot untyped JSON (a JsonObject body, a JsonElement default):
/// its serializer knows only its own models. Only these JSON types are added, never a reflection
/// fallback, so a typed model the product sends still fails here as it would in the Native AOT
/// executable. Each test assembly calls <see cref="Register"/> from a module initializer, before
/// the client's options are first used (they cannot change after).
/// </summary>
public static class UntypedJsonForClient
{
    private static int _registered;

    /// <summary>Adds the untyped JSON types to KubernetesClient's serializer, once.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            KubernetesJson.AddJsonOptions(options => options.TypeInfoResolverChain.Add(UntypedJson.Default));
        }
    }
}

/// <summary>The untyped JSON types, for <see cref="UntypedJsonForClient"/>.</summary>
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonArray))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class UntypedJson : JsonSerializerContext;
