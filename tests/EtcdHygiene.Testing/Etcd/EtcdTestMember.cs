using System.Diagnostics;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>One etcd process of an <see cref="EtcdTestCluster"/>, with its own data dir and log.</summary>
public sealed class EtcdTestMember
{
    private const int LogTailLines = 200;
    private readonly IReadOnlyList<string> _arguments;
    private readonly Queue<string> _tail = new();
    private readonly object _gate = new();
    private Process? _process;
    private StreamWriter? _log;

    internal EtcdTestMember(string name, int index, string clientUrl, string peerUrl, string directory, IReadOnlyList<string> arguments)
    {
        Name = name;
        Index = index;
        ClientUrl = clientUrl;
        PeerUrl = peerUrl;
        DataDir = Path.Combine(directory, "data");
        LogPath = Path.Combine(directory, "etcd.log");
        _arguments = arguments;
    }

    /// <summary>The member name (m1, m2, …).</summary>
    public string Name { get; }

    /// <summary>0-based position in the cluster.</summary>
    public int Index { get; }

    /// <summary>The URL the member listens on for clients.</summary>
    public string ClientUrl { get; }

    /// <summary>The URL the member listens on for peers.</summary>
    public string PeerUrl { get; }

    /// <summary>The member's data dir.</summary>
    public string DataDir { get; }

    /// <summary>Everything the process wrote to stdout and stderr.</summary>
    public string LogPath { get; }

    /// <summary>The OS process id while running.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>True while the process has not exited (a paused process is running).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Raised for every line the process writes, as it comes (on the thread that reads it): a test
    /// can act at the very moment etcd says it started something.
    /// </summary>
    public event Action<string>? LineLogged;

    /// <summary>True after <see cref="Pause"/> until <see cref="Resume"/>.</summary>
    public bool IsPaused { get; private set; }

    /// <summary>Starts the process (again, after a stop or kill, on the same data dir).</summary>
    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(LogPath)!);
        _log?.Dispose();
        _log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
        var start = new ProcessStartInfo(EtcdBinary.Locate())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in _arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        IsPaused = false;
        ProcessJanitor.Track(process);
    }

    /// <summary>SIGTERM, then SIGKILL if it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }
        if (IsPaused)
        {
            Resume();
        }
        Signals.Send(process.Id, Signals.SigTerm);
        using var timeout = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <summary>SIGKILL: the member dies without a chance to flush or say goodbye.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
        IsPaused = false;
    }

    /// <summary>SIGSTOP: the process keeps its sockets open but answers nothing, like a hung member.</summary>
    public void Pause()
    {
        var pid = RunningProcess().Id;
        Signals.Send(pid, Signals.SigStop);
        // Delivery is asynchronous: on a loaded machine the process runs on for a moment.
        WaitForState(pid, stopped: true);
        IsPaused = true;
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume()
    {
        var pid = RunningProcess().Id;
        Signals.Send(pid, Signals.SigCont);
        WaitForState(pid, stopped: false);
        IsPaused = false;
    }

    /// <summary>The process state letter from /proc (R, S, T for stopped, Z…).</summary>
    public static char ProcessState(int pid)
    {
        // /proc/PID/stat: "pid (comm) S …"; comm may contain spaces, so read after the last ')'.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[stat.LastIndexOf(')') + 2];
    }

    private void WaitForState(int pid, bool stopped)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((ProcessState(pid) == 'T') != stopped)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} (pid {pid}) did not {(stopped ? "stop" : "continue")} within 10 s");
            }
            Thread.Sleep(5);
        }
    }

    /// <summary>The last lines the member logged, for failure messages.</summary>
    public string LogTail(int lines = 40)
    {
        lock (_gate)
        {
            return string.Join(Environment.NewLine, _tail.Skip(Math.Max(0, _tail.Count - lines)));
        }
    }

    /// <summary>Why the process is gone, if it is.</summary>
    public string? ExitDescription => _process is { HasExited: true } p ? $"exited with code {p.ExitCode}" : null;

    internal void ReleaseLog()
    {
        _log?.Dispose();
        _log = null;
        _process?.Dispose();
        _process = null;
    }

    private Process RunningProcess() =>
        _process is { HasExited: false } p ? p : throw new InvalidOperationException($"{Name} is not running");

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            _tail.Enqueue(line);
            while (_tail.Count > LogTailLines)
            {
                _tail.Dequeue();
            }
            _log?.WriteLine(line);
        }
        LineLogged?.Invoke(line);
    }
}
