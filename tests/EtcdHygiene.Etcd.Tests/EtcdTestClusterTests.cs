using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Etcd.Tests;

/// <summary>The fixture every etcd test stands on: it must start, disturb and clean up for real.</summary>
public sealed partial class EtcdTestClusterTests
{
    [Fact]
    public async Task Members_CanBeStoppedKilledPausedResumedAndRestarted_AndNothingIsLeftBehind()
    {
        var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        var pids = new List<int>();
        await using (cluster)
        {
            pids.AddRange(cluster.Members.Select(m => m.ProcessId!.Value));
            Assert.True(Directory.Exists(cluster.RootDirectory));
            Assert.All(cluster.Members, m => Assert.True(Directory.Exists(m.DataDir)));
            var client = cluster.CreateClient();
            await client.PutAsync("/fixture/key", "before");

            var m3 = cluster.Members[2];
            m3.Pause();
            Assert.True(m3.IsRunning);
            Assert.Equal('T', EtcdTestMember.ProcessState(m3.ProcessId!.Value)); // stopped by SIGSTOP
            m3.Resume();
            Assert.NotEqual('T', EtcdTestMember.ProcessState(m3.ProcessId!.Value));

            var m2 = cluster.Members[1];
            m2.Kill();
            Assert.False(m2.IsRunning);
            await cluster.RestartAsync(m2);
            Assert.True(m2.IsRunning);
            pids.Add(m2.ProcessId!.Value);

            await m3.StopAsync();
            Assert.False(m3.IsRunning);
            await cluster.RestartAsync(m3);
            pids.Add(m3.ProcessId!.Value);

            // Restarted members came back on their data dirs, with the data.
            var value = await cluster.ClientFor(m3).GetValAsync("/fixture/key");
            Assert.Equal("before", value);
        }

        Assert.False(Directory.Exists(cluster.RootDirectory));
        Assert.All(pids, pid => Assert.False(IsAlive(pid), $"etcd {pid} outlived its cluster"));
    }

    [Fact]
    public async Task AMemberThatCannotStart_FailsWithItsLogTail_AndLeavesNothingBehind()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EtcdTestCluster.StartAsync(new()
        {
            Members = 1,
            ExtraArguments = ["--quota-backend-bytes=not-a-number"],
        }));

        Assert.Contains("m1", error.Message);
        Assert.Contains("Log tail", error.Message);
        Assert.Contains("quota-backend-bytes", error.Message); // etcd's own complaint, from its log
        // The message names the log inside the cluster's directory; other tests run clusters
        // meanwhile, so check this one's directory, not the whole temp folder.
        var root = ClusterDirectory().Match(error.Message);
        Assert.True(root.Success, error.Message);
        Assert.False(Directory.Exists(root.Value), $"{root.Value} was left behind");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"/[^\s()]*etcd-hygiene-test-[0-9a-f]+")]
    private static partial System.Text.RegularExpressions.Regex ClusterDirectory();

    private static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/stat") && EtcdTestMember.ProcessState(pid) != 'Z';

}
