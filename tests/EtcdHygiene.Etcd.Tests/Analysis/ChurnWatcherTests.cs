using Etcdserverpb;
using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Etcd.Analysis;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Etcd.Tests.Analysis;

/// <summary>The churn analyzer fed by a real etcd: live writes, replayed history, and history lost to compaction.</summary>
public sealed class ChurnWatcherTests
{
    private static readonly RegistryWorkloadOptions ThreePatterns = RegistryWorkloadOptions.ThreePatterns;

    [Fact]
    public async Task LiveWrites_RankTheReorderingServiceFirst_AndClassifyEachPattern()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var workload = new RegistryWorkload(cluster.CreateClient(), ThreePatterns);
        await workload.RunRoundsAsync(1);
        await using var watcher = Watcher(cluster);
        watcher.Start(fromRevision: null, new RevisionClock([]));
        Assert.True(await watcher.CatchUpAsync(TimeSpan.FromSeconds(30), default));

        await workload.RunRoundsAsync(80);
        Assert.True(await watcher.CatchUpAsync(TimeSpan.FromSeconds(30), default));

        AssertThreePatterns(watcher.Report());
    }

    [Fact]
    public async Task Replay_FindsTheSameGroups_WithNoNewWrites()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var workload = new RegistryWorkload(cluster.CreateClient(), ThreePatterns);
        await workload.RunRoundsAsync(81);

        await using var watcher = Watcher(cluster);
        watcher.Start(fromRevision: null, new RevisionClock([]));
        Assert.True(await watcher.CatchUpAsync(TimeSpan.FromSeconds(30), default));

        var report = watcher.Report();
        Assert.Equal(1, watcher.StartRevision);
        Assert.All(report.Groups, g => Assert.Equal(g.Writes, g.UndatedWrites));
        AssertThreePatterns(report);
        Assert.Contains("was rewritten", ChurnRule.Describe(report.Churning[0]));
    }

    [Fact]
    public async Task Replay_StartsAfterTheCompactedRevision_WithKeysLearnedThere()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var client = cluster.CreateClient();
        var workload = new RegistryWorkload(client, ThreePatterns);
        await workload.RunRoundsAsync(5);
        var compactAt = (await client.GetAsync(new RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("x") })).Header.Revision;
        await client.CompactAsync(new CompactionRequest { Revision = compactAt, Physical = true });
        await workload.RunRoundsAsync(80);

        await using var watcher = Watcher(cluster);
        watcher.Start(fromRevision: null, new RevisionClock([]));
        Assert.True(await watcher.CatchUpAsync(TimeSpan.FromSeconds(30), default));

        var report = watcher.Report();
        Assert.Equal(compactAt + 1, watcher.StartRevision);
        // Every key existed at the compacted revision: nothing is Created or Unknown.
        Assert.All(report.Groups, g => Assert.DoesNotContain(g.ByKind.Keys, k => k is WriteKind.Created or WriteKind.Unknown));
        AssertThreePatterns(report);
    }

    [Fact]
    public async Task AfterEtcdRestarts_EveryPrefixResumesWhereItStopped()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var workload = new RegistryWorkload(cluster.CreateClient(), ThreePatterns);
        await workload.RunRoundsAsync(40);
        // One watcher per service on the stream: they progress independently, and each must resume from its own point.
        await using var watcher = Watcher(cluster, "/micro/registry/svc00/", "/micro/registry/svc01/", "/micro/registry/svc02/");
        watcher.Start(fromRevision: null, new RevisionClock([]));
        Assert.True(await watcher.CatchUpAsync(TimeSpan.FromSeconds(30), default));
        var before = watcher.Report().Events;

        await cluster.Members[0].StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.NotNull(watcher.Problem);
        await cluster.RestartAsync(cluster.Members[0]);
        await new RegistryWorkload(cluster.CreateClient(), ThreePatterns).RunRoundsAsync(40);
        Assert.True(await watcher.CatchUpAsync(TimeSpan.FromSeconds(60), default));

        var report = watcher.Report();
        Assert.Equal(before + 40 * 15, report.Events);
        Assert.Null(watcher.Problem);
        Assert.Equal(0, watcher.LostRevisions);
        AssertThreePatterns(report);
    }

    [Fact]
    public async Task AWatchedMemberThatHangs_IsLeftForAnother_AndNoWriteGoesUncounted()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        var watched = cluster.Members[0]; // the watch starts on the first endpoint
        var other = cluster.Members[1];
        await using var watcher = Watcher(cluster);
        watcher.Start(fromRevision: null, new RevisionClock([]));
        Assert.True(await watcher.CatchUpAsync(TimeSpan.FromSeconds(30), default));

        // SIGSTOP: the connection stays open and nothing answers; no error ever reaches the stream by itself.
        watched.Pause();
        try
        {
            var writes = new RegistryWorkload(cluster.ClientFor(other), ThreePatterns);
            await writes.RunRoundsAsync(40);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (watcher.Report().Events < 40 * 15 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            // Within two keepalive periods the watch has moved to another member and counted every write.
            Assert.Equal(40 * 15, watcher.Report().Events);
            Assert.Equal(0, watcher.LostRevisions);
        }
        finally
        {
            watched.Resume();
        }
    }

    private static void AssertThreePatterns(ChurnReport report)
    {
        var top = report.Groups[0];
        Assert.Equal("/micro/registry/svc00/*", top.Group);
        Assert.True(top.Share(WriteKind.ReorderOnlyRewrite) >= 0.9, $"reorder-only share {top.Share(WriteKind.ReorderOnlyRewrite):P0}");
        var identical = report.Groups.Single(g => g.Group == "/micro/registry/svc01/*");
        Assert.True(identical.Share(WriteKind.IdenticalRewrite) >= 0.9, $"identical share {identical.Share(WriteKind.IdenticalRewrite):P0}");
        var changing = report.Groups.Single(g => g.Group == "/micro/registry/svc02/*");
        Assert.True(changing.Share(WriteKind.Changed) >= 0.9, $"changed share {changing.Share(WriteKind.Changed):P0}");
        Assert.Contains(top, report.Churning);
        Assert.DoesNotContain(changing, report.Churning);
    }

    private static ChurnWatcher Watcher(EtcdTestCluster cluster, params string[] prefixes) =>
        new(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls }, prefixes.Length > 0 ? prefixes : ["/micro/registry/"], new ChurnAnalyzerOptions(),
            TimeProvider.System, NullLogger.Instance);
}
