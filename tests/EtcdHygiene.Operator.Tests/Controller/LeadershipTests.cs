using System.Diagnostics;
using EtcdHygiene.Operator.Controller;
using EtcdHygiene.Operator.Supervision;
using EtcdHygiene.Testing.Kubernetes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace EtcdHygiene.Operator.Tests.Controller;

/// <summary>
/// Leader election at the product's default timings (lease 15 s, renew deadline 10 s, retry 2 s)
/// against the test API server: a stop or a crash hands over at once, a short outage of the API
/// server keeps the leader leading.
/// </summary>
[Trait("Etcd", "AnyVersion")]
public sealed class LeadershipTests(ITestOutputHelper output)
{
    private static readonly ResourceKind Leases = new("apis/coordination.k8s.io/v1", "leases");
    private static readonly OperatorOptions Election = new() { LeaderElect = true, LeaseNamespace = OperatorFixture.Ns };

    private static string? Holder(OperatorFixture kube) =>
        (string?)kube.Api.Get(Leases, OperatorFixture.Ns, Election.LeaseName)?["spec"]?["holderIdentity"];

    [Fact]
    public async Task AStoppingLeader_ReleasesTheLease_AndTheNextReplicaLeadsWithoutWaitingForItToExpire()
    {
        await using var kube = await OperatorFixture.StartAsync();
        var first = kube.StartReplica(Election with { Identity = "replica-a" });
        await OperatorFixture.WaitUntilAsync(() => first.Host.IsLeading, what: "replica-a leads");
        var second = kube.StartReplica(Election with { Identity = "replica-b" });
        await Task.Delay(Election.RetryPeriod * 2);
        Assert.False(second.Host.IsLeading);

        var handover = Stopwatch.StartNew();
        await first.Stop.CancelAsync();
        Assert.Equal(0, await first.Run);
        await OperatorFixture.WaitUntilAsync(() => second.Host.IsLeading, Election.LeaseDuration * 2, "replica-b leads");

        // Without the release, replica-b would wait the whole lease duration from the last renewal.
        output.WriteLine($"handover after a stop: {handover.Elapsed.TotalSeconds:0.0} s (lease duration {Election.LeaseDuration.TotalSeconds} s)");
        Assert.True(handover.Elapsed < Election.LeaseDuration - Election.RetryPeriod, $"replica-b waited {handover.Elapsed}");
        Assert.Equal("replica-b", Holder(kube));
    }

    [Fact]
    public async Task TwoReleasesInOneNamespace_EachLeadTheirOwnLease()
    {
        await using var kube = await OperatorFixture.StartAsync();
        // As the chart names them: after the release.
        var first = kube.StartReplica(Election with { Identity = "first-0", LeaseName = "first-etcd-hygiene-leader" });
        var second = kube.StartReplica(Election with { Identity = "second-0", LeaseName = "second-etcd-hygiene-leader" });

        await OperatorFixture.WaitUntilAsync(() => first.Host.IsLeading && second.Host.IsLeading, what: "both lead");
        Assert.Equal("first-0", (string?)kube.Api.Get(Leases, OperatorFixture.Ns, "first-etcd-hygiene-leader")?["spec"]?["holderIdentity"]);
        Assert.Equal("second-0", (string?)kube.Api.Get(Leases, OperatorFixture.Ns, "second-etcd-hygiene-leader")?["spec"]?["holderIdentity"]);

        // The control: a replica of the first release, on its Lease, waits.
        var standby = kube.StartReplica(Election with { Identity = "first-1", LeaseName = "first-etcd-hygiene-leader" });
        await Task.Delay(Election.RetryPeriod * 2);
        Assert.False(standby.Host.IsLeading);
    }

    [Fact]
    public async Task AnApiServerUnreachable_ForLessThanTheRenewDeadline_KeepsTheLeaderLeading_AndReadinessSaysWhy()
    {
        await using var kube = await OperatorFixture.StartAsync();
        var logs = new CapturedLogs();
        var first = kube.StartReplica(Election with { Identity = "replica-a" }, logs.Factory());
        await OperatorFixture.WaitUntilAsync(() => first.Host.IsLeading && first.Host.HasSynced, what: "replica-a leads");
        var second = kube.StartReplica(Election with { Identity = "replica-b" });

        kube.Api.BeUnreachableFor(Election.RenewDeadline - TimeSpan.FromSeconds(3));
        await OperatorFixture.WaitUntilAsync(() => first.Host.Trouble is not null, Election.RenewDeadline, "replica-a notices");
        Assert.Contains("cannot reach the Lease", first.Host.Trouble);
        await Task.Delay(Election.LeaseDuration);

        Assert.True(first.Host.IsLeading);
        Assert.False(first.Run.IsCompleted, "replica-a gave up");
        Assert.False(second.Host.IsLeading);
        Assert.Equal("replica-a", Holder(kube));
        Assert.Null(first.Host.Trouble);
        Assert.Contains(logs.Lines, l => l.Contains("Leader election: cannot reach the Lease"));
    }

    [Fact]
    public async Task AnApiServerUnreachable_WhileAcquiring_IsRetried_NotAnExit()
    {
        await using var kube = await OperatorFixture.StartAsync();
        kube.Api.BeUnreachableFor(TimeSpan.FromSeconds(5));

        var replica = kube.StartReplica(Election with { Identity = "replica-a" });
        await OperatorFixture.WaitUntilAsync(() => replica.Host.Trouble is not null || replica.Run.IsCompleted, what: "a failed attempt");
        Assert.False(replica.Run.IsCompleted, "the replica exited on a connection error");

        await OperatorFixture.WaitUntilAsync(() => replica.Host.IsLeading, Election.LeaseDuration * 2, "replica-a leads once the server is back");
    }

    [Fact]
    public async Task AControllerThatCrashes_GivesTheLeaseUp_AndTheReplicaExits1()
    {
        await using var kube = await OperatorFixture.StartAsync();
        var first = kube.StartReplica(Election with { Identity = "replica-a" }, new ControllerCrashes());

        Assert.Equal(1, await first.Run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("", Holder(kube));

        // Had the crashed replica kept the Lease, the next one would wait the whole lease duration.
        var crashed = Stopwatch.StartNew();
        var second = kube.StartReplica(Election with { Identity = "replica-b" });
        await OperatorFixture.WaitUntilAsync(() => second.Host.IsLeading, Election.LeaseDuration * 2, "replica-b leads");
        output.WriteLine($"leading after a crash: {crashed.Elapsed.TotalSeconds:0.0} s (lease duration {Election.LeaseDuration.TotalSeconds} s)");
        Assert.True(crashed.Elapsed < Election.LeaseDuration - Election.RetryPeriod, $"replica-b waited {crashed.Elapsed}");
        Assert.Equal("replica-b", Holder(kube));
    }

    /// <summary>Logging whose controller logger cannot be made: the controller fails as it starts, as any fault inside it would.</summary>
    private sealed class ControllerCrashes : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName == LogCategory.Controller ? throw new InvalidOperationException("the controller crashed") : NullLogger.Instance;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }
}
