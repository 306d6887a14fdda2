using System.Diagnostics;
using System.Text.RegularExpressions;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Bench;

/// <summary>etcdctl as an operator types it: the baselines are scripted with etcd's own CLI.</summary>
internal static partial class EtcdctlScript
{
    public static Task<string> RunAsync(IReadOnlyList<string> endpoints, params string[] arguments) =>
        Etcdctl.RunAsync(endpoints, ["--command-timeout", "5m", .. arguments]);

    /// <summary>The cluster's current revision, from <c>etcdctl endpoint status -w json</c> as etcd's maintenance guide does.</summary>
    public static async Task<long> RevisionAsync(IReadOnlyList<string> endpoints)
    {
        var output = await RunAsync(endpoints.Take(1).ToList(), "endpoint", "status", "-w", "json");
        return long.Parse(RevisionField().Match(output).Groups[1].Value);
    }

    /// <summary>etcd's documented NOSPACE recovery: status → compact → defrag --cluster → alarm disarm. Returns how long each took.</summary>
    public static async Task<TimeSpan> RecoverFromNoSpaceAsync(IReadOnlyList<string> endpoints)
    {
        var clock = Stopwatch.StartNew();
        var revision = await RevisionAsync(endpoints);
        await RunAsync(endpoints, "compact", revision.ToString(), "--physical");
        await RunAsync(endpoints, "defrag", "--cluster");
        await RunAsync(endpoints, "alarm", "disarm");
        return clock.Elapsed;
    }

    [GeneratedRegex("\"revision\":(\\d+)")]
    private static partial Regex RevisionField();
}
