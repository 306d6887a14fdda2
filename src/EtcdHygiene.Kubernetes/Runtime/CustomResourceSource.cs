using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// LIST and WATCH of a custom resource through KubernetesClient. Objects are read one by one: an
/// object the model cannot read (a field of another type, stored under an older CRD schema, which
/// the API server never re-validates) becomes what <c>unreadable</c> makes of it instead of
/// failing the whole list, and with it every other object.
/// </summary>
public sealed class CustomResourceSource<T> : IResourceSource<T>
    where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly Func<JsonNode, JsonException, T> _unreadable;
    private readonly IKubernetes _client;
    private readonly string _group;
    private readonly string _version;
    private readonly string _plural;
    private readonly string? _namespace;

    /// <summary>Watches <paramref name="plural"/> in <paramref name="ns"/>, or in every namespace when null.</summary>
    public CustomResourceSource(IKubernetes client, string group, string version, string plural, string? ns, Func<JsonNode, JsonException, T> unreadable)
    {
        _unreadable = unreadable;
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
            object list;
            try
            {
                list = _namespace is null
                    ? await _client.CustomObjects.ListClusterCustomObjectAsync(_group, _version, _plural, continueParameter: next, limit: PageSize, cancellationToken: cancellationToken)
                    : await _client.CustomObjects.ListNamespacedCustomObjectAsync(_group, _version, _namespace, _plural, continueParameter: next, limit: PageSize,
                        cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Gone && next is not null)
            {
                // The continue token expired between two pages (the history it pinned was compacted): start over.
                items.Clear();
                next = null;
                continue;
            }
            var node = JsonNode.Parse(KubernetesJson.Serialize(list))!;
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
        Exception? error = null;
        // ERROR events (410 Gone among them) reach us only through onError; without it they vanish.
        var events = _namespace is null
            ? _client.CustomObjects.WatchListClusterCustomObjectAsync(_group, _version, _plural,
                allowWatchBookmarks: true, resourceVersion: resourceVersion, onError: e => error ??= e!, cancellationToken: cancellationToken)
            : _client.CustomObjects.WatchListNamespacedCustomObjectAsync(_group, _version, _namespace, _plural,
                allowWatchBookmarks: true, resourceVersion: resourceVersion, onError: e => error ??= e!, cancellationToken: cancellationToken);
        await foreach (var (type, raw) in events)
        {
            // Custom objects arrive untyped; bookmarks carry only kind, apiVersion and resourceVersion.
            yield return (type, Read(JsonNode.Parse(KubernetesJson.Serialize(raw))!));
        }
        if (error is KubernetesException { Status.Code: (int)HttpStatusCode.Gone } gone)
        {
            throw new ResourceExpiredException(gone.Status.Message ?? "resource version expired");
        }
        if (error is not null)
        {
            throw error;
        }
    }

    private T Read(JsonNode item)
    {
        try
        {
            return KubernetesJson.Deserialize<T>(item.ToJsonString());
        }
        catch (JsonException e)
        {
            return _unreadable(item, e);
        }
    }
}
