using System.Runtime.InteropServices;

namespace EtcdHygiene.Bench;

/// <summary>The machine a result was measured on, for bench/results/latest.md.</summary>
internal static class MachineDescription
{
    public static async Task<string> DescribeAsync()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memory = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1048576.0;
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"')
            : RuntimeInformation.OSDescription;
        var (_, etcd, _) = await Testing.Cli.ExternalTool.RunAsync("etcd", ["--version"]);
        return $"{Environment.ProcessorCount} cores ({cpu}), {memory:0.0} GiB RAM, {os}, {etcd.Split('\n')[0].Trim()}, .NET {Environment.Version}";
    }
}
