using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Controller.Leadership;
using EtcdHygiene.Testing.Kubernetes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EtcdHygiene.Operator.Tests.Controller.Leadership;

/// <summary>
/// The operator's fence (safety rule 9): a replica is entitled to act only while its last
/// successful Lease write, timed on the monotonic clock from when it was sent, is younger than
/// the Lease's duration (less a fifth). A replica stopped past it — its clock moved on, no renewal
/// came — is refused before its next request, whatever the wall clock says. Against the in-process
/// API server, with the elector's clock faked.
/// </summary>
public sealed class LeaseFenceTests : IAsyncLifetime
{
    private static readonly LeaseTimings Timings = new(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2));
    private FakeKubernetesApi _api = null!;
    private IKubernetes _client = null!;
    private KubernetesApi _connection = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        _client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _api.Url });
        _connection = KubernetesApi.Create(new KubernetesClientConfiguration { Host = _api.Url });
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task ARenewedLease_Entitles_UntilItsDurationLessAFifthHasPassed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var elector = Elector("replica-a", time);
        Assert.NotNull(elector.WhyNotHeld()); // nothing written yet

        Assert.True(await elector.TryAcquireOrRenewAsync(default));
        Assert.Null(elector.WhyNotHeld());
        time.Advance(TimeSpan.FromSeconds(11.9));
        Assert.Null(elector.WhyNotHeld());
        time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Contains("has not renewed the Lease", elector.WhyNotHeld());

        // A renewal entitles again; a release does not.
        Assert.True(await elector.TryAcquireOrRenewAsync(default));
        Assert.Null(elector.WhyNotHeld());
        await elector.ReleaseAsync();
        Assert.NotNull(elector.WhyNotHeld());
        Assert.Equal("", (await _client.CoordinationV1.ReadNamespacedLeaseAsync("leader", "default")).Spec.HolderIdentity);
    }

    [Fact]
    public async Task AFailedRenewal_DoesNotExtendTheRight()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var elector = Elector("replica-a", time);
        Assert.True(await elector.TryAcquireOrRenewAsync(default));
        time.Advance(TimeSpan.FromSeconds(10));
        _api.BeUnreachableFor(TimeSpan.FromSeconds(30));
        Assert.False(await elector.TryAcquireOrRenewAsync(default));
        Assert.Contains("cannot reach the Lease", elector.Failure);
        Assert.Null(elector.WhyNotHeld()); // still within its duration
        time.Advance(TimeSpan.FromSeconds(2.1));
        Assert.NotNull(elector.WhyNotHeld());
    }

    [Fact]
    public async Task AnotherHoldersLease_ExpiresOnThisReplicasMonotonicClock_NotOnTheRecordedTimes()
    {
        var timeA = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var timeB = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var a = Elector("replica-a", timeA);
        var b = Elector("replica-b", timeB);
        Assert.True(await a.TryAcquireOrRenewAsync(default));

        // b's wall clock is an hour ahead, so a's renewTime looks ancient: b still waits out the
        // duration from when it first saw the record, as client-go's observedTime.
        timeB.SetUtcNow(timeB.GetUtcNow().AddHours(1));
        Assert.False(await b.TryAcquireOrRenewAsync(default));
        timeB.Advance(TimeSpan.FromSeconds(14.9));
        Assert.False(await b.TryAcquireOrRenewAsync(default));
        Assert.NotNull(b.WhyNotHeld());
        timeB.Advance(TimeSpan.FromSeconds(0.2));
        Assert.True(await b.TryAcquireOrRenewAsync(default));
        Assert.Null(b.WhyNotHeld());

        // a, renewing now, finds b holding it and stops being entitled.
        Assert.False(await a.TryAcquireOrRenewAsync(default));
        Assert.NotNull(a.WhyNotHeld());
        var lease = await _client.CoordinationV1.ReadNamespacedLeaseAsync("leader", "default");
        Assert.Equal("replica-b", lease.Spec.HolderIdentity);
        Assert.Equal(1, lease.Spec.LeaseTransitions);
    }

    private LeaseElector Elector(string identity, TimeProvider time) =>
        new(_connection, "default", "leader", identity, Timings, time, NullLogger.Instance);
}
