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
