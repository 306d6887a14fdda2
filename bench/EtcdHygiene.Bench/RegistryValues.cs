using System.Text;

namespace EtcdHygiene.Bench;

/// <summary>
/// Registry entries of about 1 KiB, like go-micro's: a service with endpoints and subscribers and
/// one node. The three writer patterns of the incident: the same bytes, the subscribers swapped,
/// a changing load figure.
/// </summary>
internal static class RegistryValues
{
    public static string Key(int service, int node) => $"/micro/registry/svc{service:0000}/svc{service:0000}-{node:x8}";

    public static byte[] Entry(int service, int node, bool swapped, int load)
    {
        var subscribers = new[] { Subscriber("Audit.Record"), Subscriber("Billing.Charge") };
        if (swapped)
        {
            Array.Reverse(subscribers);
        }
        var json = new StringBuilder();
        json.Append($$$"""{"name":"svc{{{service:0000}}}","version":"1.4.2","metadata":null,"endpoints":[""");
        json.Append(Handler("Hello")).Append(',').Append(Handler("Stream")).Append(',');
        json.Append(subscribers[0]).Append(',').Append(subscribers[1]);
        json.Append($$$"""],"nodes":[{"id":"svc{{{service:0000}}}-{{{node:x8}}}","address":"10.1.{{{node / 250 % 250}}}.{{{node % 250}}}:{{{40000 + node % 20000}}}",""");
        json.Append("\"metadata\":{\"broker\":\"http\",\"protocol\":\"grpc\",\"registry\":\"etcd\",\"server\":\"grpc\",\"transport\":\"grpc\",\"load\":")
            .Append(load).Append("}}]}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    private static string Handler(string method) =>
        $$$"""{"name":"Greeter.{{{method}}}","request":{"name":"Request","type":"Request","values":[{"name":"name","type":"string"}]},"response":{"name":"Response","type":"Response","values":[{"name":"msg","type":"string"},{"name":"count","type":"int64"}]}}""";

    private static string Subscriber(string topic) =>
        $$$"""{"name":"{{{topic}}}","request":{"name":"Event","type":"Event","values":[{"name":"id","type":"string"}]},"metadata":{"subscriber":"true","topic":"{{{topic}}}"}}""";
}
