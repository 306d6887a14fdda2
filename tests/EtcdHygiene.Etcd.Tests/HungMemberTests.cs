using System.Diagnostics;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Etcd.Tests;

/// <summary>
/// Safety rule 4 at the default request timeout (10 s): every kind of request the adapter sends,
/// against a leader or a follower stopped with SIGSTOP (a hung member: sockets open, no answer),
/// ends within its bound — answered by the others, or failed — and the member is observed again
/// once it answers. The requests are addressed from an observation made before the member hung,
/// as a cycle's next step is, so each one really goes out and really times out.
/// </summary>
public sealed class HungMemberTests
{
    // Defragment and physical Compact are bounded by spec.etcd.defragTimeout, 5 minutes by
    // default: waiting that long here would buy nothing the 15 s bound does not show.
    private static readonly TimeSpan DefragTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);

    [Theory]
    [InlineData("leader")]
    [InlineData("follower")]
    public async Task EveryRequestKind_AgainstAHungMember_EndsWithinItsBound_AndTheMemberIsSeenAgainWhenItAnswers(string role)
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAsync(cluster.CreateClient(), keys: 50, rounds: 2);
        var options = new EtcdConnectionOptions { Endpoints = cluster.ClientUrls, DefragTimeout = DefragTimeout };
        Assert.Equal(TimeSpan.FromSeconds(10), options.RequestTimeout); // the default, unchanged
        await using var etcd = new EtcdClusterConnection(options);
        var before = await etcd.ObserveAsync();
        var leader = before.Leader!;
        var hung = role == "leader" ? leader : before.Members.First(m => !m.IsLeader);
        var other = before.Members.First(m => m.Id != hung.Id && m.Id != leader.Id);
        var member = cluster.Members.Single(m => m.Name == hung.Name);

        member.Pause();
        try
        {
            // Sent together from the observation made before the member hung; MoveLeader after the
            // others (a leader handing over drops the proposals it gets meanwhile, as etcd does).
            var calls = (await Task.WhenAll(
                TimedAsync("Defragment", DefragTimeout, () => etcd.DefragmentAsync(hung.Id)),
                TimedAsync("Compact (physical)", DefragTimeout, () => etcd.CompactAsync(before.Revision!.Value - 10, physical: true)),
                TimedAsync("AlarmDisarm", options.RequestTimeout, () => etcd.DisarmNoSpaceAsync(hung.Id)))).ToList();
            calls.Add(await TimedAsync("MoveLeader", options.RequestTimeout, () => etcd.MoveLeaderAsync(role == "leader" ? other.Id : hung.Id)));
            // One observation: Status, health read, MemberList and AlarmList, each bounded, some in turn.
            var observation = await TimedAsync("Observe (Status, health, MemberList, AlarmList)", 3 * options.RequestTimeout, async () =>
            {
                var snapshot = await etcd.ObserveAsync();
                var seen = snapshot.Member(hung.Id);
                Assert.True(seen is null or { Reachable: false }, $"{hung.Name} answered while stopped");
                Assert.All(snapshot.Members.Where(m => m.Id != hung.Id), m => Assert.True(m.Reachable, $"{m.Name}: {m.EndpointNote}"));
            });

            var report = string.Join(Environment.NewLine, calls.Append(observation).Select(c => c.ToString()));
            Assert.All(calls.Append(observation), c => Assert.True(c.Elapsed <= c.Bound + Slack, report));
            Assert.True(observation.Error is null, report);
            // The request addressed to the hung member went out and timed out (not refused from a cache).
            var defragment = calls.Single(c => c.Name == "Defragment");
            Assert.True(defragment.Error is EtcdOperationException { Kind: EtcdErrorKind.TimedOut }, report);
            Assert.True(defragment.Elapsed >= DefragTimeout - TimeSpan.FromSeconds(1), report);
            if (role == "leader")
            {
                // Addressed to the hung leader: it cannot answer.
                Assert.True(calls.Single(c => c.Name == "MoveLeader").Error is EtcdOperationException { Kind: EtcdErrorKind.TimedOut }, report);
            }
            else
            {
                // The leader and the other follower keep a quorum: cluster-wide requests succeed.
                Assert.True(calls.Single(c => c.Name == "Compact (physical)").Error is null, report);
                Assert.True(calls.Single(c => c.Name == "AlarmDisarm").Error is null, report);
            }
        }
        finally
        {
            member.Resume();
        }

        // It answers again: observed in full, and requests to it succeed.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        Core.Observation.ClusterSnapshot after;
        while (!(after = await etcd.ObserveAsync()).Members.All(m => m.Reachable && m.Health.IsHealthy) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        Assert.All(after.Members, m => Assert.True(m.Reachable && m.Health.IsHealthy, $"{m.Name}: {m.EndpointNote}"));
        await etcd.DefragmentAsync(hung.Id);
    }

    /// <summary>
    /// The same rule when connections share their member clients (<see cref="EtcdClientPool"/>), as
    /// the policies of one process do: one gRPC connection per member carries every policy's
    /// requests, so a hung follower must hold up only the requests addressed to it, not the other
    /// members of its cluster, and not another cluster.
    /// </summary>
    [Fact]
    public async Task ConnectionsSharingAPool_AHungMemberHoldsUpOnlyTheRequestsAddressedToIt()
    {
        const int connectionsPerCluster = 8;
        await using var hungCluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await using var otherCluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAsync(otherCluster.CreateClient(), keys: 50, rounds: 2);
        var pool = new EtcdClientPool();
        var overHung = Connect(hungCluster, pool, connectionsPerCluster);
        var overOther = Connect(otherCluster, pool, connectionsPerCluster);
        var timeout = overHung[0].Options.RequestTimeout;
        try
        {
            // Every connection has observed once, so the shared clients exist before the member hangs.
            foreach (var etcd in overHung.Concat(overOther))
            {
                Assert.All((await etcd.ObserveAsync()).Members, m => Assert.True(m.Reachable, $"{m.Name}: {m.EndpointNote}"));
            }
            Assert.Equal(2 * 3 + 1, pool.OpenClients);
            var before = await overHung[0].ObserveAsync();
            var hung = before.Members.First(m => !m.IsLeader);
            var otherMember = (await overOther[0].ObserveAsync()).Members.First(m => !m.IsLeader);
            var member = hungCluster.Members.Single(m => m.Name == hung.Name);

            member.Pause();
            List<TimedCall> calls;
            try
            {
                var observeHung = overHung.Select((etcd, i) => TimedAsync($"Observe hung cluster #{i}", 3 * timeout, async () =>
                {
                    var snapshot = await etcd.ObserveAsync();
                    Assert.True(snapshot.Member(hung.Id) is null or { Reachable: false }, $"{hung.Name} answered while stopped");
                    Assert.All(snapshot.Members.Where(m => m.Id != hung.Id), m => Assert.True(m.Reachable, $"{m.Name}: {m.EndpointNote}"));
                }));
                var observeOther = overOther.Select((etcd, i) => TimedAsync($"Observe other cluster #{i}", timeout, async () =>
                    Assert.All((await etcd.ObserveAsync()).Members, m => Assert.True(m.Reachable && m.QuotaBytes is not null, $"{m.Name}: {m.EndpointNote}"))));
                calls = (await Task.WhenAll(observeHung.Concat(observeOther).Concat(
                [
                    TimedAsync("Defragment the hung member", DefragTimeout, () => overHung[0].DefragmentAsync(hung.Id)),
                    TimedAsync("Defragment a member of the other cluster", timeout, () => overOther[0].DefragmentAsync(otherMember.Id)),
                ]))).ToList();
            }
            finally
            {
                member.Resume();
            }

            var report = string.Join(Environment.NewLine, calls.Select(c => c.ToString()));
            Assert.All(calls.Where(c => c.Name != "Defragment the hung member"), c => Assert.True(c.Error is null, report));
            Assert.True(calls.Single(c => c.Name == "Defragment the hung member").Error is EtcdOperationException { Kind: EtcdErrorKind.TimedOut }, report);
            Assert.All(calls.Where(c => c.Name.StartsWith("Observe hung", StringComparison.Ordinal) || c.Name == "Defragment the hung member"),
                c => Assert.True(c.Elapsed <= c.Bound + Slack, report));
            // Had the other cluster's requests waited behind the hung member, they would have waited out a request timeout.
            Assert.All(calls.Where(c => c.Name.Contains("other cluster", StringComparison.Ordinal)), c => Assert.True(c.Elapsed < c.Bound, report));

            // It answers again, through the same shared clients, for every connection.
            foreach (var etcd in overHung)
            {
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                Core.Observation.ClusterSnapshot after;
                while (!(after = await etcd.ObserveAsync()).Members.All(m => m.Reachable && m.Health.IsHealthy) && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(200);
                }
                Assert.All(after.Members, m => Assert.True(m.Reachable && m.Health.IsHealthy, $"{m.Name}: {m.EndpointNote}"));
            }
        }
        finally
        {
            foreach (var etcd in overHung.Concat(overOther))
            {
                await etcd.DisposeAsync();
            }
        }
        Assert.Equal(0, pool.OpenClients);
    }

    private static List<EtcdClusterConnection> Connect(EtcdTestCluster cluster, EtcdClientPool pool, int count) =>
        Enumerable.Range(0, count)
            .Select(_ => new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls, DefragTimeout = DefragTimeout }, pool: pool))
            .ToList();

    private static async Task<TimedCall> TimedAsync(string name, TimeSpan bound, Func<Task> call)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await call();
            return new TimedCall(name, bound, clock.Elapsed, null);
        }
        catch (Exception e) when (e is EtcdOperationException or Xunit.Sdk.XunitException)
        {
            return new TimedCall(name, bound, clock.Elapsed, e);
        }
    }

    private sealed record TimedCall(string Name, TimeSpan Bound, TimeSpan Elapsed, Exception? Error)
    {
        public override string ToString() =>
            $"{Name}: {Elapsed.TotalSeconds:0.0}s of {Bound.TotalSeconds:0}s, {(Error is null ? "succeeded" : Error is EtcdOperationException e ? $"{e.Kind}: {e.Message}" : Error.Message)}";
    }
}
