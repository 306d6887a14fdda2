using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// A WATCH as the API server streams it: one JSON event per line, <c>{"type":…,"object":…}</c>,
/// until the server ends it. Sent through KubernetesClient's HTTP client and credentials, so that
/// TLS, tokens and the rate limit are the client's; an ERROR event ends the stream with an
/// exception (<see cref="ResourceExpiredException"/> for 410 Gone).
/// </summary>
internal static class WatchStream
{
    public static async IAsyncEnumerable<(WatchEventType Type, JsonNode Object)> ReadAsync(KubernetesApi client, string relativeUri,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await client.OpenAsync(HttpMethod.Get, relativeUri, body: null, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }
            var watchEvent = JsonNode.Parse(line)!;
            var type = Parse((string?)watchEvent["type"]);
            var item = watchEvent["object"] ?? new JsonObject();
            if (type == WatchEventType.Error)
            {
                var code = (int?)item["code"];
                var message = (string?)item["message"] ?? "the watch failed";
                throw code == (int)HttpStatusCode.Gone ? new ResourceExpiredException(message) : new WatchFailedException(code, message);
            }
            yield return (type, item);
        }
    }

    private static WatchEventType Parse(string? type) => type switch
    {
        "ADDED" => WatchEventType.Added,
        "MODIFIED" => WatchEventType.Modified,
        "DELETED" => WatchEventType.Deleted,
        "BOOKMARK" => WatchEventType.Bookmark,
        "ERROR" => WatchEventType.Error,
        _ => throw new WatchFailedException(null, $"unknown watch event type '{type}'"),
    };
}
