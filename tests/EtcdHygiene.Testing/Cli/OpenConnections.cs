using System.Globalization;

namespace EtcdHygiene.Testing.Cli;

/// <summary>
/// Established TCP connections a process holds to a local port, read from Linux's /proc: which
/// sockets the process owns (/proc/PID/fd) and where each one goes (/proc/net/tcp and tcp6; .NET's
/// dual-mode sockets show IPv4 peers in tcp6).
/// </summary>
public static class OpenConnections
{
    private const string Established = "01";

    /// <summary>How many established connections process <paramref name="pid"/> holds to <paramref name="url"/>'s port.</summary>
    public static int To(int pid, string url)
    {
        var port = new Uri(url).Port;
        var owned = SocketInodes(pid);
        return new[] { "/proc/net/tcp", "/proc/net/tcp6" }
            .SelectMany(File.ReadLines)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(f => f.Length > 9 && f[3] == Established && PortOf(f[2]) == port && owned.Contains(f[9]));
    }

    private static HashSet<string> SocketInodes(int pid)
    {
        var inodes = new HashSet<string>();
        foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
        {
            try
            {
                // "socket:[12345]"
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target["socket:[".Length..^1]);
                }
            }
            catch (IOException)
            {
                // closed while listed
            }
        }
        return inodes;
    }

    // "0100007F:0CEA" or an IPv6 address; the port is the hex after the last colon. The header line has none.
    private static int PortOf(string address) =>
        int.TryParse(address[(address.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port) ? port : -1;
}
