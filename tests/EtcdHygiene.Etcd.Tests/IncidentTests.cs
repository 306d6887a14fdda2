using dotnet_etcd;
using Etcdserverpb;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Etcd;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdHygiene.Etcd.Tests;

/// <summary>
/// The production incident of docs/architecture.md ("Why it exists"), for real: a registry re-registering the same
/// service with two subscribers swapping places fills a 16 MiB etcd until NOSPACE; the adapter then
/// sees it and recovers it without losing a key.
/// </summary>
public sealed class IncidentTests
{
    private const long Quota = 16L * 1024 * 1024;

    [Fact]
    public async Task ReorderedReRegistrationsRaiseNoSpace_AndCompactDefragDisarmRecoverWithEveryKeyIntact()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1, QuotaBackendBytes = Quota });
        var registry = cluster.CreateClient();
        var lease = await registry.LeaseGrantAsync(new LeaseGrantRequest { TTL = 3600 });

        // Other services registered once: the live keys that must survive the recovery untouched.
        for (var i = 0; i < 20; i++)
        {
            var other = new GoMicroServiceEntry($"svc{i}", $"svc{i}-node", $"10.0.1.{i}:9000");
            await registry.PutAsync(new PutRequest { Key = Bytes(other.Key), Value = Bytes(other.Render(false)), Lease = lease.ID });
        }

        var greeter = new GoMicroServiceEntry("greeter", "greeter-5c1f9e", "10.0.0.7:41017");
        var failure = await ReRegisterUntilRefusedAsync(registry, greeter, lease.ID);

        Assert.Equal(StatusCode.ResourceExhausted, failure.StatusCode);
        Assert.Contains("etcdserver: mvcc: database space exceeded", failure.Status.Detail);
        Assert.Equal(EtcdErrorKind.NoSpace, EtcdErrors.Classify(failure, "Put", cluster.ClientUrls[0]).Kind);

        await using var etcd = new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls });
        var atNoSpace = await etcd.ObserveAsync();
        var member = Assert.Single(atNoSpace.Members);
        Assert.True(atNoSpace.AlarmsKnown);
        Assert.Contains(atNoSpace.Alarms, a => a.Alarm == AlarmKind.NoSpace && a.MemberId == member.Id);
        Assert.Contains(member.Status!.Errors, e => e.Contains("NOSPACE"));
        Assert.Equal(Quota, member.QuotaBytes);
        // etcd refuses a write when size + its cost would pass the quota: the file is at the quota.
        Assert.InRange(member.Status.DbSizeBytes, Quota - 1024 * 1024, Quota + 1024 * 1024);

        var keysBefore = await EtcdData.ReadAllAsync(registry);

        await etcd.CompactAsync(atNoSpace.Revision!.Value, physical: true);
        await etcd.DefragmentAsync(member.Id);
        foreach (var alarm in atNoSpace.Alarms.Where(a => a.Alarm == AlarmKind.NoSpace))
        {
            await etcd.DisarmNoSpaceAsync(alarm.MemberId);
        }

        var recovered = await etcd.ObserveAsync();
        Assert.Empty(recovered.Alarms);
        Assert.True(recovered.Members[0].Status!.DbSizeBytes < Quota / 4,
            $"defrag should have given the space back, db is {recovered.Members[0].Status!.DbSizeBytes} bytes");
        Assert.Equal(keysBefore, await EtcdData.ReadAllAsync(registry));

        await registry.PutAsync(new PutRequest { Key = Bytes(greeter.Key), Value = Bytes(greeter.Render(false)), Lease = lease.ID });
        var stored = await registry.GetAsync(greeter.Key);
        Assert.Equal(greeter.Render(false), stored.Kvs.Single().Value.ToStringUtf8());
    }

    private static async Task<RpcException> ReRegisterUntilRefusedAsync(EtcdClient registry, GoMicroServiceEntry entry, long leaseId)
    {
        var values = new[] { Bytes(entry.Render(false)), Bytes(entry.Render(true)) };
        Assert.NotEqual(values[0], values[1]);
        // 16 MiB fills in a few thousand writes; the bound only keeps a broken etcd from hanging the run.
        for (var write = 0; write < 200_000; write++)
        {
            try
            {
                await registry.PutAsync(new PutRequest { Key = Bytes(entry.Key), Value = values[write % 2], Lease = leaseId });
            }
            catch (RpcException e)
            {
                return e;
            }
        }
        throw new Xunit.Sdk.XunitException("etcd accepted 200,000 rewrites under a 16 MiB quota; NOSPACE never came");
    }

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);
}
