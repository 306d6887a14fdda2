using EtcdHygiene.Operator.Controller.Leadership;
using k8s.LeaderElection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EtcdHygiene.Operator.Tests.Controller.Leadership;

/// <summary>
/// The operator's fence (safety rule 9): a replica is entitled to act only while its last
/// successful Lease renewal, timed on the monotonic clock from when it was sent, is younger than
/// the Lease's duration (less a fifth). A replica stopped past it — its clock moved on, no renewal
/// came — is refused before its next request, whatever the wall clock says.
/// </summary>
public sealed class LeaseFenceTests
{
    [Fact]
    public async Task ARenewedLease_Entitles_UntilItsDurationLessAFifthHasPassed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var lease = new TolerantLeaseLock(new Lock("replica-a"), NullLogger.Instance, time: time);
        Assert.NotNull(lease.WhyNotHeld()); // nothing renewed yet

        Assert.True(await lease.UpdateAsync(Record("replica-a", seconds: 15)));
        Assert.Null(lease.WhyNotHeld());
        time.Advance(TimeSpan.FromSeconds(11.9));
        Assert.Null(lease.WhyNotHeld());
        time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Contains("has not renewed the Lease", lease.WhyNotHeld());

        // A renewal entitles again; a write that names another holder (a release) does not.
        Assert.True(await lease.UpdateAsync(Record("replica-a", seconds: 15)));
        Assert.Null(lease.WhyNotHeld());
        Assert.True(await lease.UpdateAsync(Record("", seconds: 1)));
        Assert.NotNull(lease.WhyNotHeld());
    }

    [Fact]
    public async Task AFailedRenewal_DoesNotExtendTheRight()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var inner = new Lock("replica-a");
        var lease = new TolerantLeaseLock(inner, NullLogger.Instance, time: time);
        Assert.True(await lease.UpdateAsync(Record("replica-a", seconds: 15)));
        time.Advance(TimeSpan.FromSeconds(10));
        inner.Refuse = true;
        Assert.False(await lease.UpdateAsync(Record("replica-a", seconds: 15)));
        time.Advance(TimeSpan.FromSeconds(2.1));
        Assert.NotNull(lease.WhyNotHeld());
    }

    private static LeaderElectionRecord Record(string holder, int seconds) => new()
    {
        HolderIdentity = holder,
        LeaseDurationSeconds = seconds,
        AcquireTime = DateTime.UtcNow,
        RenewTime = DateTime.UtcNow,
    };

    private sealed class Lock(string identity) : ILock
    {
        public bool Refuse { get; set; }

        public string Identity => identity;

        public Task<LeaderElectionRecord> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(new LeaderElectionRecord());

        public Task<bool> CreateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) => Task.FromResult(!Refuse);

        public Task<bool> UpdateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) => Task.FromResult(!Refuse);

        public string Describe() => "default/etcd-hygiene-leader";
    }
}
