using System.Diagnostics;
using dotnet_etcd;
using Etcdserverpb;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Etcd;
using EtcdHygiene.Testing.Etcd;
using Google.Protobuf;

namespace EtcdHygiene.Etcd.Tests;

/// <summary>The adapter against a real 3-member cluster: per-member work lands on that member only.</summary>
public sealed class ThreeMemberClusterTests
{
    [Fact]
    public async Task DefragmentingOneMember_ShrinksThatMemberOnly()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        var client = cluster.CreateClient();
        await EtcdData.FragmentAsync(client, keys: 500, rounds: 4);
        await using var etcd = Connect(cluster);

        var beforeCompaction = await etcd.ObserveAsync();
        await etcd.CompactAsync(beforeCompaction.Revision!.Value, physical: true);
        var before = await WaitForStableSizesAsync(etcd);
        var target = before.Members[1];
        Assert.True(target.ReclaimableBytes > 1024 * 1024, $"the test needs garbage to reclaim; {target.Name} has {target.ReclaimableBytes} bytes");

        await etcd.DefragmentAsync(target.Id);

        var after = await etcd.ObserveAsync();
        foreach (var member in before.Members)
        {
            var sizeBefore = member.Status!.DbSizeBytes;
            var sizeAfter = after.Member(member.Id)!.Status!.DbSizeBytes;
            if (member.Id == target.Id)
            {
                Assert.True(sizeAfter < sizeBefore / 2, $"{member.Name} should have shrunk: {sizeBefore} -> {sizeAfter}");
            }
            else
            {
                Assert.Equal(sizeBefore, sizeAfter);
            }
        }
    }

    [Fact]
    public async Task Snapshot_NamesExactlyOneLeader_AndMoveLeaderMovesIt()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await using var etcd = Connect(cluster);

        var snapshot = await etcd.ObserveAsync();
        Assert.Equal(3, snapshot.Members.Count);
        Assert.All(snapshot.Members, m =>
        {
            Assert.True(m.Reachable, m.EndpointNote);
            Assert.Equal(EndpointSource.Advertised, m.EndpointSource);
            Assert.True(m.Health.IsHealthy, m.Health.Reason);
            Assert.False(m.IsLearner);
        });
        var leader = Assert.Single(snapshot.Members, m => m.IsLeader);
        Assert.All(snapshot.Members, m => Assert.Equal(leader.Id, m.Status!.LeaderId));
        Assert.Equal(
            cluster.Members.Select(m => (m.Name, m.ClientUrl)).OrderBy(x => x.Name),
            snapshot.Members.Select(m => (m.Name, m.Endpoint!)).OrderBy(x => x.Name));

        var target = snapshot.Members.First(m => !m.IsLeader);
        await etcd.MoveLeaderAsync(target.Id);

        var moved = await etcd.ObserveAsync();
        Assert.Equal(target.Id, moved.Leader?.Id);
        Assert.Single(moved.Members, m => m.IsLeader);
    }

    [Fact]
    public async Task PausedMember_IsReportedUnreachableWithinTheTimeout_WhileTheOthersAreObserved()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        var timeout = TimeSpan.FromSeconds(1);
        await using var etcd = Connect(cluster, timeout);
        var healthy = await etcd.ObserveAsync();
        var paused = cluster.Members[2];

        paused.Pause();
        var clock = Stopwatch.StartNew();
        var snapshot = await etcd.ObserveAsync();
        clock.Stop();

        var hung = snapshot.Members.Single(m => m.Name == paused.Name);
        Assert.False(hung.Reachable,
            $"{hung.Name} at {hung.Endpoint} ({hung.EndpointSource}) answered while paused: revision {hung.Status?.Revision}, process state {EtcdTestMember.ProcessState(paused.ProcessId!.Value)}");
        Assert.Contains("TimedOut", hung.EndpointNote);
        Assert.All(snapshot.Members.Where(m => m.Name != paused.Name), m =>
        {
            Assert.True(m.Reachable, m.EndpointNote);
            Assert.NotNull(m.Status);
            Assert.True(m.Status!.DbSizeBytes > 0);
        });
        Assert.True(snapshot.AlarmsKnown);
        // Not a performance figure: the bound says a hung member cost one timeout, not a stall.
        // The few serial timeouts of one observation (Status, then health read) fit well under 6 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"observing took {clock.Elapsed} with a {timeout} timeout");
        Assert.Equal(healthy.Members.Select(m => m.Id).Order(), snapshot.Members.Select(m => m.Id).Order());

        var error = await Assert.ThrowsAsync<EtcdOperationException>(() => etcd.DefragmentAsync(hung.Id));
        Assert.Equal(EtcdErrorKind.Unreachable, error.Kind);

        paused.Resume();
        var resumed = await etcd.ObserveAsync();
        Assert.All(resumed.Members, m => Assert.True(m.Reachable, m.EndpointNote));
    }

    [Fact]
    public async Task Quota_IsDiscoveredFromEachMembersMetrics()
    {
        const long quota = 37L * 1024 * 1024 + 4096;
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = quota });
        await using var etcd = Connect(cluster);

        var snapshot = await etcd.ObserveAsync();

        Assert.All(snapshot.Members, m =>
        {
            Assert.Equal(quota, m.QuotaBytes);
            Assert.Equal(QuotaSource.Metrics, m.QuotaSource); // etcd 3.4's Status has no dbSizeQuota
        });
    }

    [Fact]
    public async Task MembersAdvertisingAnotherMembersUrl_AreReachedThroughTheConfiguredEndpointThatAnswersAsThem()
    {
        // Like the incident's systemd units, every member advertises the same URL: here m1's own,
        // the trap where a naive client would take m1 for all three.
        string? firstUrl = null;
        await using var cluster = await EtcdTestCluster.StartAsync(new()
        {
            Members = 3,
            AdvertisedClientUrl = (_, url) => firstUrl ??= url,
        });
        await using var etcd = Connect(cluster);

        var snapshot = await etcd.ObserveAsync();

        foreach (var member in cluster.Members)
        {
            var observed = snapshot.Members.Single(m => m.Name == member.Name);
            Assert.Equal(member.ClientUrl, observed.Endpoint);
            Assert.Equal([firstUrl!], observed.AdvertisedClientUrls);
            if (member.Index == 0)
            {
                Assert.Equal(EndpointSource.Advertised, observed.EndpointSource);
            }
            else
            {
                Assert.Equal(EndpointSource.ConfiguredFallback, observed.EndpointSource);
                Assert.Contains("answers as member", observed.EndpointNote);
            }
        }
    }

    [Fact]
    public async Task UnreachableAdvertisedUrl_FallsBackToTheConfiguredEndpoint_AndSaysSo()
    {
        var closedPort = FreePorts.Take(1)[0];
        await using var cluster = await EtcdTestCluster.StartAsync(new()
        {
            Members = 1,
            AdvertisedClientUrl = (_, _) => $"http://127.0.0.1:{closedPort}",
        });
        await using var etcd = Connect(cluster);

        var member = Assert.Single((await etcd.ObserveAsync()).Members);

        Assert.True(member.Reachable);
        Assert.Equal(cluster.ClientUrls[0], member.Endpoint);
        Assert.Equal(EndpointSource.ConfiguredFallback, member.EndpointSource);
        Assert.Contains($"127.0.0.1:{closedPort}", member.EndpointNote);
    }

    [Fact]
    public async Task Errors_AreTyped()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var client = cluster.CreateClient();
        for (var i = 0; i < 10; i++)
        {
            await client.PutAsync($"/k/{i}", "v");
        }
        await using var etcd = Connect(cluster);
        var revision = (await etcd.ObserveAsync()).Revision!.Value;

        var future = await Assert.ThrowsAsync<EtcdOperationException>(() => etcd.CompactAsync(revision + 100, physical: true));
        Assert.Equal(EtcdErrorKind.FutureRevision, future.Kind);

        Assert.Null((await etcd.ObserveAsync()).CompactRevision); // etcd reports -1 before any compaction
        var finishedBefore = (await etcd.ObserveAsync()).Members.Single().FinishedCompactions;
        await etcd.CompactAsync(revision, physical: true);
        var compactedSnapshot = await etcd.ObserveAsync();
        Assert.Equal(revision, compactedSnapshot.CompactRevision);
        Assert.Equal(finishedBefore + 1, compactedSnapshot.Members.Single().FinishedCompactions);
        var compacted = await Assert.ThrowsAsync<EtcdOperationException>(() => etcd.CompactAsync(revision - 1, physical: true));
        Assert.Equal(EtcdErrorKind.RevisionCompacted, compacted.Kind);
        Assert.Contains("Compact", compacted.Message);
        Assert.Contains(cluster.ClientUrls[0], compacted.Message);

        await using var nowhere = new EtcdClusterConnection(new EtcdConnectionOptions
        {
            Endpoints = [$"http://127.0.0.1:{FreePorts.Take(1)[0]}"],
            RequestTimeout = TimeSpan.FromSeconds(2),
        });
        var unreachable = await Assert.ThrowsAsync<EtcdOperationException>(() => nowhere.ListAlarmsAsync());
        Assert.Equal(EtcdErrorKind.Unreachable, unreachable.Kind);
        var empty = await nowhere.ObserveAsync();
        Assert.Empty(empty.Members);
        Assert.False(empty.AlarmsKnown);
        Assert.Contains(empty.Problems, p => p.Contains("MemberList"));
    }

    private static EtcdClusterConnection Connect(EtcdTestCluster cluster, TimeSpan? timeout = null) =>
        new(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls, RequestTimeout = timeout ?? TimeSpan.FromSeconds(5) });

    /// <summary>Followers apply a compaction on their own time; wait until no member's size moves.</summary>
    private static async Task<ClusterSnapshot> WaitForStableSizesAsync(EtcdClusterConnection etcd)
    {
        var previous = await etcd.ObserveAsync();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await Task.Delay(300);
            var current = await etcd.ObserveAsync();
            if (current.Members.Select(Sizes).SequenceEqual(previous.Members.Select(Sizes)))
            {
                return current;
            }
            previous = current;
        }
        throw new Xunit.Sdk.XunitException("member sizes kept changing after compaction");

        static (long, long) Sizes(MemberSnapshot m) => (m.Status!.DbSizeBytes, m.Status.DbSizeInUseBytes);
    }
}
