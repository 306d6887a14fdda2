using System.Diagnostics;
using System.Text;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Testing.Cli;

/// <summary>
/// Runs the built <c>etcd-hygiene</c> as a real process, the way a person or a cron job would, and
/// captures what it prints. Tests reference the host project so its build output sits next to theirs.
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CliProcess(Process process)
    {
        _process = process;
    }

    /// <summary>True once the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The process id, for reading its resource use from /proc.</summary>
    public int Id => _process.Id;

    /// <summary>
    /// Raised for every line the process writes (stdout or stderr), on the reader's thread, as soon
    /// as it is read: for tests that must act at a precise moment of a run.
    /// </summary>
    public event Action<string>? LineWritten;

    /// <summary>Everything written to stdout so far.</summary>
    public string Output { get { lock (_stdout) { return _stdout.ToString(); } } }

    /// <summary>Everything written to stderr so far.</summary>
    public string Errors { get { lock (_stderr) { return _stderr.ToString(); } } }

    /// <summary>Starts <c>etcd-hygiene</c> with <paramref name="arguments"/>.</summary>
    public static CliProcess Start(params string[] arguments) => Start(arguments, environment: null);

    /// <summary>
    /// The executable the process-level tests run: the Native AOT one users get, which the README's
    /// test command publishes and names in <see cref="BinaryVariable"/>. Without it (a developer's
    /// <c>dotnet test</c>), the JIT build beside the tests.
    /// </summary>
    public static string? Published => Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } path ? Path.GetFullPath(path) : null;

    /// <summary>The environment variable that names the published executable.</summary>
    public const string BinaryVariable = "ETCD_HYGIENE_BINARY";

    /// <summary>
    /// Starts <c>etcd-hygiene</c> with <paramref name="arguments"/> and extra <paramref name="environment"/>
    /// variables; <paramref name="dll"/> runs another build (a benchmark's baseline, the JIT build) instead of this one.
    /// </summary>
    public static CliProcess Start(string[] arguments, IReadOnlyDictionary<string, string>? environment, string? dll = null)
    {
        var executable = dll is null ? Published : null;
        dll ??= Path.Combine(AppContext.BaseDirectory, "etcd-hygiene.dll");
        if (executable is not null && !File.Exists(executable))
        {
            throw new InvalidOperationException($"{executable} ({BinaryVariable}) is missing: publish it first (scripts/test.sh does)");
        }
        if (executable is null && !File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: the test project must reference EtcdHygiene.Operator");
        }
        var start = new ProcessStartInfo(executable ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (executable is null)
        {
            start.ArgumentList.Add(dll);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var process = new Process { StartInfo = start };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => cli.Append(cli._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => cli.Append(cli._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs to the end and returns the exit code with what was printed.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(params string[] arguments)
    {
        await using var cli = Start(arguments);
        var exit = await cli.WaitForExitAsync(TimeSpan.FromMinutes(2));
        return (exit, cli.Output, cli.Errors);
    }

    /// <summary>Waits until stdout or stderr contains <paramref name="text"/>.</summary>
    public async Task WaitForTextAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text) && !Errors.Contains(text))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"etcd-hygiene never printed \"{text}\".{Environment.NewLine}stdout:{Environment.NewLine}{Output}{Environment.NewLine}stderr:{Environment.NewLine}{Errors}");
            }
            await Task.Delay(100);
        }
    }

    private void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (buffer)
        {
            buffer.AppendLine(line);
        }
        LineWritten?.Invoke(line);
    }

    /// <summary>Sends SIGKILL: the process gets no chance to finish anything, as when a node dies or the OOM killer strikes.</summary>
    public void Kill() => Signals.Send(_process.Id, Signals.SigKill);

    /// <summary>Sends SIGTERM, as Kubernetes and systemd do to stop a process.</summary>
    public void Terminate() => Signals.Send(_process.Id, Signals.SigTerm);

    /// <summary>Waits for the exit; kills and fails after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"etcd-hygiene did not exit within {timeout}.{Environment.NewLine}stdout:{Environment.NewLine}{Output}{Environment.NewLine}stderr:{Environment.NewLine}{Errors}");
        }
        _process.WaitForExit(); // flushes the redirected streams
        return _process.ExitCode;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
