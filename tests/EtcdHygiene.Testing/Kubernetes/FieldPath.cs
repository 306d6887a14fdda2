using System.Text.RegularExpressions;
using System.Text.Json.Nodes;

namespace EtcdHygiene.Testing.Kubernetes;

/// <summary>Finds the node a field path such as <c>spec.etcd.endpoints[0]</c> names.</summary>
public static partial class FieldPath
{
    /// <summary>The node at <paramref name="path"/> under <paramref name="root"/>, or null.</summary>
    public static JsonNode? Find(JsonNode? root, string path)
    {
        var node = root;
        foreach (Match part in Part().Matches(path))
        {
            node = part.Groups["index"].Success
                ? node is JsonArray array && int.Parse(part.Groups["index"].Value) is var i && i < array.Count ? array[i] : null
                : (node as JsonObject)?[part.Groups["name"].Value];
        }
        return node;
    }

    [GeneratedRegex(@"(?<name>[^.\[\]]+)|\[(?<index>\d+)\]")]
    private static partial Regex Part();
}
