using System.Text.Json.Nodes;
using EtcdHygiene.Testing.Cli;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>Cross-checks through etcd's own CLI, independent of our adapter.</summary>
public static class Etcdctl
{
    /// <summary>`etcdctl endpoint status -w json` per member: hex id, db size, whether it leads.</summary>
    public static async Task<List<(string Id, long DbSize, bool IsLeader)>> EndpointStatusAsync(EtcdTestCluster cluster)
    {
        var (exit, output, errors) = await ExternalTool.RunAsync("etcdctl",
            ["--endpoints", string.Join(",", cluster.ClientUrls), "endpoint", "status", "-w", "json"],
            environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        if (exit != 0)
        {
            throw new InvalidOperationException($"etcdctl endpoint status failed: {errors}");
        }
        return JsonNode.Parse(output)!.AsArray().Select(e => e!["Status"]!).Select(s => (
            ((ulong)s["header"]!["member_id"]!).ToString("x"),
            (long)s["dbSize"]!,
            (ulong)s["header"]!["member_id"]! == (ulong)s["leader"]!)).ToList();
    }
}
