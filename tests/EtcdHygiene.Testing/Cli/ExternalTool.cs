using System.Diagnostics;

namespace EtcdHygiene.Testing.Cli;

/// <summary>Runs a tool from PATH (promtool, etcdctl…) and captures its output; a missing tool fails loudly.</summary>
public static class ExternalTool
{
    /// <summary>Runs <paramref name="tool"/> to its end.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string tool, IEnumerable<string> arguments,
        string? workingDirectory = null, string? input = null, IDictionary<string, string>? environment = null)
    {
        var path = Locate(tool);
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await errors);
    }

    /// <summary>The tool's path on PATH.</summary>
    public static string Locate(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool)).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"'{tool}' is not on PATH: run scripts/test.sh, which installs it");
}
