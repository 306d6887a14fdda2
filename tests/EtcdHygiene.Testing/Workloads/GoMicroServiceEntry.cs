using System.Text.Json;
using System.Text.Json.Nodes;

namespace EtcdHygiene.Testing.Workloads;

/// <summary>
/// A go-micro registry entry for one service node, as the incident's registry wrote it: about
/// 1.5 KB of JSON whose endpoints include two subscribers on the same topic. go-micro sorted them
/// by topic with an unstable sort, so from one registration to the next the two could swap places:
/// the bytes change, the meaning does not, and etcd stores a new revision every time.
/// </summary>
public sealed class GoMicroServiceEntry
{
    /// <summary>Creates the entry of node <paramref name="nodeId"/> of <paramref name="service"/>.</summary>
    public GoMicroServiceEntry(string service, string nodeId, string address)
    {
        Service = service;
        NodeId = nodeId;
        Address = address;
    }

    /// <summary>The service name, e.g. greeter.</summary>
    public string Service { get; }

    /// <summary>The node id, e.g. greeter-7f9c….</summary>
    public string NodeId { get; }

    /// <summary>host:port the node listens on.</summary>
    public string Address { get; }

    /// <summary>The key go-micro's etcd registry uses: /micro/registry/{service}/{node}.</summary>
    public string Key => $"/micro/registry/{Service}/{NodeId}";

    /// <summary>
    /// The JSON value; <paramref name="subscribersSwapped"/> flips the two subscribers, and
    /// <paramref name="load"/>, when given, is a node metadata field that really changes.
    /// </summary>
    public string Render(bool subscribersSwapped, string? load = null)
    {
        var subscribers = new[] { Subscriber("Audit.Record"), Subscriber("Billing.Charge") };
        if (subscribersSwapped)
        {
            Array.Reverse(subscribers);
        }
        var endpoints = new JsonArray(
            Handler("Hello", "Request", "Response"),
            Handler("Stream", "StreamingRequest", "StreamingResponse"));
        foreach (var subscriber in subscribers)
        {
            endpoints.Add(subscriber);
        }
        var entry = new JsonObject
        {
            ["name"] = Service,
            ["version"] = "latest",
            ["metadata"] = null,
            ["endpoints"] = endpoints,
            ["nodes"] = new JsonArray(new JsonObject
            {
                ["id"] = NodeId,
                ["address"] = Address,
                ["metadata"] = new JsonObject
                {
                    ["broker"] = "http",
                    ["protocol"] = "grpc",
                    ["registry"] = "etcd",
                    ["server"] = "grpc",
                    ["transport"] = "grpc",
                    ["load"] = load,
                },
            }),
        };
        return entry.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    private JsonObject Handler(string method, string request, string response) => new()
    {
        ["name"] = $"{Capitalized}.{method}",
        ["request"] = Message(request, ("name", "string"), ("trace_id", "string")),
        ["response"] = Message(response, ("msg", "string"), ("count", "int64")),
        ["metadata"] = new JsonObject { ["stream"] = (method == "Stream").ToString().ToLowerInvariant() },
    };

    private JsonObject Subscriber(string topic) => new()
    {
        ["name"] = $"{Capitalized}.Handle{topic.Replace(".", "")}",
        ["request"] = Message("Event", ("id", "string"), ("timestamp", "int64"), ("payload", "bytes")),
        ["response"] = null,
        ["metadata"] = new JsonObject { ["subscriber"] = "true", ["topic"] = $"{Service}.events" , ["queue"] = topic },
    };

    private static JsonObject Message(string name, params (string Name, string Type)[] fields)
    {
        var values = new JsonArray();
        foreach (var (fieldName, type) in fields)
        {
            values.Add(new JsonObject { ["name"] = fieldName, ["type"] = type, ["values"] = null });
        }
        return new JsonObject { ["name"] = name, ["type"] = name, ["values"] = values };
    }

    private string Capitalized => char.ToUpperInvariant(Service[0]) + Service[1..];
}
