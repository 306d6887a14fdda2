using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Operator.Tests.Commands;

/// <summary>
/// Two <c>run</c> processes on one state directory would overwrite each other's kept state (the
/// pause, the retention window): the second is refused with an error naming the first, and
/// starts once the first has gone.
/// </summary>
public sealed class StateDirectoryLockTests
{
    [Fact]
    public async Task ASecondRun_OnTheSameStateDirectory_IsRefused_NamingTheFirst()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        using var folder = new PolicyFolder();
        var policy = folder.WriteDefaults("registry", cluster.ClientUrls);
        await using (var first = CliProcess.Start("run", "--policy", policy, "--state-dir", folder.StateDirectory))
        {
            await first.WaitForTextAsync("cycle succeeded", TimeSpan.FromSeconds(60));

            var (exit, _, errors) = await CliProcess.RunAsync("run", "--once", "--policy", policy, "--state-dir", folder.StateDirectory);

            Assert.True(exit == 1, $"the second run exited {exit}: {errors}");
            Assert.Contains($"another etcd-hygiene run (pid {first.Id}) uses the state directory {folder.StateDirectory}", errors);
            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        // The control: with the first gone, the same command runs.
        var again = await CliProcess.RunAsync("run", "--once", "--policy", policy, "--state-dir", folder.StateDirectory);
        Assert.True(again.ExitCode == 0, again.Errors);
    }
}
