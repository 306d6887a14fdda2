using System.Runtime.InteropServices;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>POSIX signals to child processes; .NET's Process only knows SIGKILL.</summary>
public static partial class Signals
{
    /// <summary>SIGKILL.</summary>
    public const int SigKill = 9;
    /// <summary>SIGTERM.</summary>
    public const int SigTerm = 15;
    /// <summary>SIGCONT.</summary>
    public const int SigCont = 18;
    /// <summary>SIGSTOP.</summary>
    public const int SigStop = 19;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>.</summary>
    public static void Send(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
