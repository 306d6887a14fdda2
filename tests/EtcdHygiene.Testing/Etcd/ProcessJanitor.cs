using System.Collections.Concurrent;
using System.Diagnostics;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>
/// Kills every etcd this test process started when the test process exits, even when a test forgot
/// to dispose its cluster or the run was aborted: a stray etcd would hold ports and disk.
/// </summary>
internal static class ProcessJanitor
{
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    static ProcessJanitor()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    public static void Track(Process process)
    {
        Running[process.Id] = process;
        process.Exited += (_, _) => Running.TryRemove(process.Id, out _);
    }

    private static void KillAll()
    {
        foreach (var process in Running.Values)
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    }
}
