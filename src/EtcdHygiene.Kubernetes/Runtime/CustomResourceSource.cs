using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// LIST and WATCH of a custom resource. Objects are read one by one: an object the model cannot
/// read (a field of another type, stored under an older CRD schema, which the API server never
/// re-validates) becomes what <c>unreadable</c> makes of it instead of failing the whole list, and
/// with it every other object. Both are sent with <see cref="KubernetesApi"/>; the WATCH is read line
/// by line (<see cref="WatchStream"/>): KubernetesClient.Aot, which Native AOT needs, has no watch.
/// </summary>
public sealed class CustomResourceSource<T> : IResourceSource<T>
    where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly Func<JsonNode, JsonException, T> _unreadable;
    private readonly JsonTypeInfo<T> _json;
    private readonly KubernetesApi _client;
    private readonly string _group;
    private readonly string _version;
    private readonly string _plural;
    private readonly string? _namespace;

    /// <summary>Watches <paramref name="plural"/> in <paramref name="ns"/>, or in every namespace when null; objects are read with <paramref name="json"/>.</summary>
    public CustomResourceSource(KubernetesApi client, string group, string version, string plural, string? ns, JsonTypeInfo<T> json,
        Func<JsonNode, JsonException, T> unreadable)
    {
        _unreadable = unreadable;
        _json = json;
        _client = client;
        _group = group;
        _version = version;
        _plural = plural;
        _namespace = ns;
    }

    /// <summary>Objects a LIST page holds, as client-go's informers ask for them: one response for ten thousand policies would hold the API server's memory and ours.</summary>
    public const int PageSize = 500;

    /// <inheritdoc />
    public async Task<(IReadOnlyList<T> Items, string ResourceVersion)> ListAsync(CancellationToken cancellationToken)
    {
        var items = new List<T>();
        string? next = null;
        while (true)
        {
            JsonObject node;
            try
            {
                var page = $"{Collection()}?limit={PageSize}" + (next is null ? "" : $"&continue={Uri.EscapeDataString(next)}");
                node = await _client.SendAsync(HttpMethod.Get, page, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Gone && next is not null)
            {
                // The continue token expired between two pages (the history it pinned was compacted): start over.
                items.Clear();
                next = null;
                continue;
            }
            items.AddRange(node["items"]?.AsArray().Select(item => Read(item!)) ?? []);
            next = (string?)node["metadata"]?["continue"];
            if (string.IsNullOrEmpty(next))
            {
                // Every page reports the version the first was read at: the watch starts there.
                return (items, (string?)node["metadata"]?["resourceVersion"] ?? "");
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(string resourceVersion, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = $"{Collection()}?watch=true&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion)}";
        await foreach (var (type, item) in WatchStream.ReadAsync(_client, path, cancellationToken))
        {
            // Bookmarks carry only kind, apiVersion and metadata.resourceVersion.
            yield return (type, Read(item));
        }
    }

    private string Collection() => _namespace is null
        ? $"apis/{_group}/{_version}/{_plural}"
        : $"apis/{_group}/{_version}/namespaces/{Uri.EscapeDataString(_namespace)}/{_plural}";

    private T Read(JsonNode item)
    {
        try
        {
            return item.Deserialize(_json)!;
        }
        catch (JsonException e)
        {
            return _unreadable(item, e);
        }
    }
}
