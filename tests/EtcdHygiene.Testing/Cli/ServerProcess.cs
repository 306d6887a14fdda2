using System.Diagnostics;
using System.Text;

namespace EtcdHygiene.Testing.Cli;

/// <summary>A long-running tool from PATH (a Prometheus server) that is killed when disposed.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServerProcess(Process process)
    {
        _process = process;
    }

    /// <summary>What it printed so far.</summary>
    public string Log { get { lock (_log) { return _log.ToString(); } } }

    /// <summary>Starts <paramref name="tool"/> with <paramref name="arguments"/>.</summary>
    public static ServerProcess Start(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(ExternalTool.Locate(tool)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var process = new Process { StartInfo = start };
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
