using EtcdHygiene.Testing.Cli;

namespace EtcdHygiene.Operator.Tests.Hosting;

/// <summary>
/// The sample unit VM users install (config/systemd/etcd-hygiene.service): systemd's own checker
/// accepts it without a word, and it is the hardened notify service the README promises.
/// </summary>
public sealed class SystemdUnitTests
{
    private static readonly string Unit = Path.Combine(RepositoryRoot.Find(), "config", "systemd", "etcd-hygiene.service");

    [Fact]
    public async Task SystemdAnalyzeVerify_AcceptsTheSampleUnit_WithoutAWarning()
    {
        var (exit, output) = await VerifyAsync(File.ReadAllText(Unit));

        Assert.True(exit == 0 && output.Length == 0, output);
    }

    [Fact]
    public async Task SystemdAnalyzeVerify_WouldSpeakUp_AboutAMistake()
    {
        // The check above can fail: a misspelt setting is reported (verify still exits 0 for it).
        var (_, output) = await VerifyAsync(File.ReadAllText(Unit).Replace("ProtectHome=yes", "ProtectHomme=yes"));

        Assert.Contains("Unknown key 'ProtectHomme'", output);
    }

    [Fact]
    public void TheSampleUnit_IsAHardenedNotifyService_ThatWaitsForTheGracePeriod()
    {
        var settings = File.ReadAllLines(Unit).Where(l => l.Contains('=') && !l.TrimStart().StartsWith('#'))
            .Select(l => l.Split('=', 2)).GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.Last()[1].Trim());

        Assert.Equal("notify", settings["Type"]);
        Assert.Equal("yes", settings["DynamicUser"]);
        Assert.Equal("etcd-hygiene", settings["StateDirectory"]);
        Assert.Equal("strict", settings["ProtectSystem"]);
        Assert.Equal("yes", settings["NoNewPrivileges"]);
        Assert.StartsWith("/usr/local/bin/etcd-hygiene run ", settings["ExecStart"]);
        // systemd must not SIGKILL a defragmentation the grace period still waits for.
        var grace = System.Text.RegularExpressions.Regex.Match(settings["ExecStart"], @"--shutdown-grace-period (\d+)m").Groups[1].Value;
        Assert.True(int.Parse(settings["TimeoutStopSec"]) > int.Parse(grace) * 60, $"TimeoutStopSec={settings["TimeoutStopSec"]} grace={grace}m");
    }

    /// <summary>systemd-analyze verify on <paramref name="unit"/>, its ExecStart pointed at the binary the tests run.</summary>
    private static async Task<(int Exit, string Output)> VerifyAsync(string unit)
    {
        var binary = Path.Combine(AppContext.BaseDirectory, "etcd-hygiene");
        Assert.True(File.Exists(binary), $"{binary} is missing");
        var folder = Directory.CreateTempSubdirectory("etcd-hygiene-unit-");
        try
        {
            var path = Path.Combine(folder.FullName, "etcd-hygiene.service");
            await File.WriteAllTextAsync(path, unit.Replace("ExecStart=/usr/local/bin/etcd-hygiene ", $"ExecStart={binary} "));
            var (exit, output, errors) = await ExternalTool.RunAsync("systemd-analyze", ["verify", path]);
            return (exit, (output + errors).Trim());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
