using System.Text.Json.Nodes;
using EtcdHygiene.Testing.Cli;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>Cross-checks through etcd's own CLI, independent of our adapter.</summary>
public static class Etcdctl
{
    /// <summary>Runs etcdctl (v3 API) against <paramref name="endpoints"/>; its output, or an exception with its errors.</summary>
    public static async Task<string> RunAsync(IEnumerable<string> endpoints, params string[] arguments)
    {
        var (exit, output, errors) = await ExternalTool.RunAsync("etcdctl", ["--endpoints", string.Join(",", endpoints), .. arguments],
            environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        if (exit != 0)
        {
            throw new InvalidOperationException($"etcdctl {string.Join(" ", arguments.TakeWhile(a => !a.StartsWith('-')))} failed: {errors}{output}");
        }
        return output;
    }

    /// <summary>`etcdctl endpoint status -w json` per member: hex id, db size, whether it leads.</summary>
    public static async Task<List<(string Id, long DbSize, bool IsLeader)>> EndpointStatusAsync(EtcdTestCluster cluster)
    {
        var output = await RunAsync(cluster.ClientUrls, "endpoint", "status", "-w", "json");
        return JsonNode.Parse(output)!.AsArray().Select(e => e!["Status"]!).Select(s => (
            ((ulong)s["header"]!["member_id"]!).ToString("x"),
            (long)s["dbSize"]!,
            (ulong)s["header"]!["member_id"]! == (ulong)s["leader"]!)).ToList();
    }
}
