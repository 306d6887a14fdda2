using EtcdHygiene.Etcd.Locking;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EtcdHygiene.Etcd.Tests.Locking;

/// <summary>
/// The cluster lock on real etcd (safety rule 9): one holder, the others waiting and naming it,
/// the next in line holding it once the holder lets go — at NOSPACE too, without a write — and a
/// holder whose lease was not renewed in time no longer entitled to act.
/// </summary>
public sealed class ClusterLockTests
{
    private const string Prefix = "/etcd-hygiene/maintainer/";

    [Fact]
    public async Task TheFirstHolds_TheSecondWaitsNamingIt_AndHoldsOnceTheFirstLetsGo()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        var pool = new EtcdClientPool();
        // Two spellings of one cluster: all members, and one member alone.
        await using var second = Lock(cluster.ClientUrls.Skip(2).ToList(), "process B", pool);
        var first = Lock(cluster.ClientUrls, "process A", pool);
        try
        {
            Assert.Equal(new LockView(LockStanding.Held, "process A", null), await first.AcquireAsync(CancellationToken.None));
            var waiting = await second.AcquireAsync(CancellationToken.None);
            Assert.Equal(LockStanding.HeldElsewhere, waiting.Standing);
            Assert.Equal("process A", waiting.Holder);
            Assert.True(first.IsHeld);
            Assert.False(second.IsHeld);
            Assert.Equal("process A", await ClusterLock.HolderAsync(cluster.CreateClient(), Prefix, TimeSpan.FromSeconds(5), CancellationToken.None));
        }
        finally
        {
            await first.DisposeAsync();
        }
        Assert.False(first.IsHeld);
        Assert.Equal(LockStanding.Held, (await second.AcquireAsync(CancellationToken.None)).Standing);
        Assert.True(second.IsHeld);
    }

    [Fact]
    public async Task AtNoSpace_AQueuedStandbyTakesOverWithoutAWrite_ANewcomerCannotQueue()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1, QuotaBackendBytes = 16L * 1024 * 1024 });
        var pool = new EtcdClientPool();
        var holder = Lock(cluster.ClientUrls, "holder", pool);
        var standby = Lock(cluster.ClientUrls, "standby", pool);
        await using var newcomer = Lock(cluster.ClientUrls, "newcomer", pool);
        Assert.Equal(LockStanding.Held, (await holder.AcquireAsync(CancellationToken.None)).Standing);
        Assert.Equal(LockStanding.HeldElsewhere, (await standby.AcquireAsync(CancellationToken.None)).Standing);

        await new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions { Services = 4, NodesPerService = 2, Writers = 2 }).FillUntilNoSpaceAsync();

        var late = await newcomer.AcquireAsync(CancellationToken.None);
        Assert.Equal(LockStanding.HeldElsewhere, late.Standing);
        Assert.Equal("holder", late.Holder);
        Assert.Contains("NOSPACE", late.Problem);
        // Past the lease's time to live: the keep-alives still work at NOSPACE.
        await Task.Delay(ClusterLock.DefaultTtl + TimeSpan.FromSeconds(2));
        Assert.True(holder.IsHeld, "the holder's keep-alives should keep its lease alive at NOSPACE");

        await holder.DisposeAsync();
        Assert.Equal(LockStanding.Held, (await standby.AcquireAsync(CancellationToken.None)).Standing);
        Assert.Equal("standby", (await newcomer.AcquireAsync(CancellationToken.None)).Holder);

        await standby.DisposeAsync();
        var nobody = await newcomer.AcquireAsync(CancellationToken.None);
        Assert.Equal(LockStanding.Unavailable, nobody.Standing);
        Assert.Null(nobody.Holder);
        Assert.Contains("NOSPACE", nobody.Problem);
        Assert.False(newcomer.IsHeld);
    }

    [Fact]
    public async Task AHolderStoppedPastItsLease_IsNotEntitledWhenItResumes_AndTheNextHoldsTheLock()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var pool = new EtcdClientPool();
        // The holder's clock stands still, as a stopped process's does: it sends no keep-alive.
        var frozen = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ttl = TimeSpan.FromSeconds(3);
        await using var stopped = new ClusterLock(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls }, Prefix, "stopped", pool, frozen, NullLogger.Instance, ttl);
        await using var next = Lock(cluster.ClientUrls, "next", pool);
        Assert.Equal(LockStanding.Held, (await stopped.AcquireAsync(CancellationToken.None)).Standing);

        // etcd lets the lease expire; the next in line holds the lock.
        LockView view;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        do
        {
            await Task.Delay(500);
            view = await next.AcquireAsync(CancellationToken.None);
        }
        while (view.Standing != LockStanding.Held && DateTime.UtcNow < deadline);
        Assert.Equal(LockStanding.Held, view.Standing);

        // Its own clock not moved, the stopped holder would still believe it holds the lock: the
        // check depends on that clock, which is what a resumed process has.
        Assert.True(stopped.IsHeld);
        frozen.Advance(ttl);
        Assert.False(stopped.IsHeld);
    }

    private static ClusterLock Lock(IReadOnlyList<string> endpoints, string identity, EtcdClientPool pool) =>
        new(new EtcdConnectionOptions { Endpoints = endpoints }, Prefix, identity, pool, TimeProvider.System, NullLogger.Instance);
}
