using dotnet_etcd;
using Etcdserverpb;
using EtcdHygiene.Etcd;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdHygiene.Etcd.Tests.Locking;

/// <summary>
/// What etcd still serves while the NOSPACE alarm is active, on the version under test: the
/// cluster lock (<see cref="EtcdHygiene.Etcd.Locking.ClusterLock"/>) is built on exactly this
/// (docs/architecture.md, "One actor per etcd cluster"). Puts, transactions with a put and lease
/// grants are refused; reads, delete-only transactions, lease keep-alives and revocations work.
/// </summary>
public sealed class NoSpaceServesTests
{
    [Fact]
    public async Task AtNoSpace_ReadsDeletesKeepAlivesAndRevocationsWork_PutsAndLeaseGrantsAreRefused()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1, QuotaBackendBytes = 16L * 1024 * 1024 });
        var client = cluster.CreateClient();
        // Taken while writes are accepted: a lease with a key on it, and a key to delete later. The
        // leases outlive the fill by far: on two loaded cores filling 16 MiB took 65 s in CI, and a
        // lease that expired during it would take its key with it (expiry is a revocation, which
        // etcd serves at NOSPACE too).
        var lease = await client.LeaseGrantAsync(new LeaseGrantRequest { TTL = LeaseSeconds });
        var revoked = await client.LeaseGrantAsync(new LeaseGrantRequest { TTL = LeaseSeconds });
        await client.PutAsync(new PutRequest { Key = Bytes("/lock/a"), Value = Bytes("holder"), Lease = lease.ID });
        await client.PutAsync(new PutRequest { Key = Bytes("/lock/b"), Value = Bytes("standby"), Lease = revoked.ID });
        await client.PutAsync(new PutRequest { Key = Bytes("/lock/c"), Value = Bytes("plain") });

        await new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions { Services = 4, NodesPerService = 2, Writers = 2 })
            .FillUntilNoSpaceAsync();
        var alarms = await client.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get });
        Assert.Contains(alarms.Alarms, a => a.Alarm == AlarmType.Nospace);

        // Refused: the positive control that writes really are refused at this moment.
        AssertNoSpace(await Refused(() => client.PutAsync(new PutRequest { Key = Bytes("/lock/d"), Value = Bytes("x") })));
        AssertNoSpace(await Refused(() => client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 30 })));
        AssertNoSpace(await Refused(() => client.TransactionAsync(new TxnRequest
        {
            Compare = { new Compare { Key = Bytes("/lock/d"), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = Bytes("/lock/d"), Value = Bytes("x") } } },
        })));

        // Served.
        var read = await client.GetAsync(new RangeRequest { Key = Bytes("/lock/"), RangeEnd = Bytes("/lock0"), SortTarget = RangeRequest.Types.SortTarget.Create });
        Assert.Equal(["/lock/a", "/lock/b", "/lock/c"], read.Kvs.Select(k => k.Key.ToStringUtf8()));
        long? ttl = null;
        using (var answered = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await Ignoring(() => client.LeaseKeepAlive(new LeaseKeepAliveRequest { ID = lease.ID }, r =>
            {
                ttl = r.TTL;
                answered.Cancel();
            }, answered.Token));
        }
        Assert.True(ttl > 0, $"a keep-alive at NOSPACE should be answered with the time left, got {ttl?.ToString() ?? "no answer"}");
        await client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = revoked.ID });
        var deleteOnly = await client.TransactionAsync(new TxnRequest
        {
            Compare = { new Compare { Key = Bytes("/lock/c"), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = Bytes("plain") } },
            Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes("/lock/c") } } },
        });
        Assert.True(deleteOnly.Succeeded);
        var left = await client.GetAsync(new RangeRequest { Key = Bytes("/lock/"), RangeEnd = Bytes("/lock0") });
        Assert.Equal(["/lock/a"], left.Kvs.Select(k => k.Key.ToStringUtf8()));
    }

    private const long LeaseSeconds = 3600;

    private static void AssertNoSpace(RpcException refused) =>
        Assert.Equal(EtcdErrorKind.NoSpace, EtcdErrors.Classify(refused, "test", null).Kind);

    private static async Task<RpcException> Refused(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);

    private static async Task Ignoring(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
        }
    }

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);
}
