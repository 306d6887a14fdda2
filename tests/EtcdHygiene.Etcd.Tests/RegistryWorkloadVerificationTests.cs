using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;
using Etcdserverpb;
using Google.Protobuf;

namespace EtcdHygiene.Etcd.Tests;

/// <summary>
/// The check the soak and the NOSPACE tests rely on to say "no write lost": it must see a lost or a
/// stale write even where the value alone cannot tell (writers that repeat their bytes, writers
/// that alternate between two values).
/// </summary>
public sealed class RegistryWorkloadVerificationTests
{
    private static readonly RegistryWorkloadOptions Shape = new()
    {
        Services = 3, NodesPerService = 2, Writers = 2,
        ServiceBehaviours = [WriterBehaviour.Identical, WriterBehaviour.ReorderOnly, WriterBehaviour.Changing],
    };

    [Fact]
    public async Task IntactData_PassesTheCheck()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var registry = new RegistryWorkload(cluster.CreateClient(), Shape);
        await registry.RunRoundsAsync(5);

        Assert.Empty(await registry.VerifyAsync(cluster.CreateClient()));
    }

    [Theory]
    [InlineData(WriterBehaviour.Identical)]
    [InlineData(WriterBehaviour.ReorderOnly)]
    public async Task ALostWrite_IsSeen_EvenWhenTheValueLooksRight(WriterBehaviour behaviour)
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var (client, registry, key) = await WrittenAsync(cluster, behaviour);

        // The key loses its history of acknowledged writes but holds the very bytes last acknowledged:
        // a value comparison passes it.
        var last = (await client.GetAsync(key)).Kvs[0].Value;
        await client.DeleteAsync(key);
        await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = last });

        var problem = Assert.Single(await registry.VerifyAsync(client));
        Assert.Contains($"{key}: lost writes", problem);
    }

    [Theory]
    [InlineData(WriterBehaviour.Identical)]
    [InlineData(WriterBehaviour.ReorderOnly)]
    public async Task AWriteNoWriterSent_AfterTheLastAcknowledgedOne_IsSeen(WriterBehaviour behaviour)
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var (client, registry, key) = await WrittenAsync(cluster, behaviour);

        // An older value (for an identical writer: the same bytes) written again behind the writer's back.
        var history = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) });
        var older = (await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key), Revision = history.Kvs[0].ModRevision - 1 })).Kvs;
        var value = older.Count > 0 ? older[0].Value : history.Kvs[0].Value;
        await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = value });

        var problem = Assert.Single(await registry.VerifyAsync(client));
        Assert.Contains($"{key}: changed at revision", problem);
    }

    [Fact]
    public async Task Leases_AreKeptAlive_SoARunLongerThanTheirTtl_KeepsItsKeys()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var kept = new RegistryWorkload(cluster.CreateClient(), Shape with { LeaseTtlSeconds = 5, Prefix = "/kept/" });
        var dropped = new RegistryWorkload(cluster.CreateClient(), Shape with { LeaseTtlSeconds = 5, Prefix = "/dropped/", KeepLeasesAlive = false });

        // Three TTLs of registrations, one a second (a TTL of 5 s leaves a loaded machine seconds to renew).
        using (var run = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            await Task.WhenAll(kept.RunAsync(run.Token), dropped.RunAsync(run.Token));
        }

        var client = cluster.CreateClient();
        Assert.Equal(Shape.Services * Shape.NodesPerService, (await client.GetRangeAsync("/kept/")).Count);
        // Control: without keep-alives the first lease ran out mid-run and its keys went with it.
        Assert.True((await client.GetRangeAsync("/dropped/")).Count < Shape.Services * Shape.NodesPerService);
    }

    [Fact]
    public async Task AKeyNoWriterOwns_IsSeen()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var client = cluster.CreateClient();
        var registry = new RegistryWorkload(client, Shape);
        await registry.RunRoundsAsync(1);
        await client.PutAsync("/micro/registry/intruder/x", "{}");

        Assert.Contains("/micro/registry/intruder/x: no writer of this workload wrote it", await registry.VerifyAsync(client));
    }

    [Theory]
    [InlineData(WriterBehaviour.Identical)]
    [InlineData(WriterBehaviour.Changing)]
    public async Task ALostAcknowledgedWrite_IsFound_EvenWhenAnUnansweredWriteWasApplied(WriterBehaviour behaviour)
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var client = cluster.CreateClient();
        await using var history = await KeyHistory.StartAsync(client, Shape.Prefix);
        var (_, registry, key) = await WrittenAsync(cluster, behaviour);

        // An acknowledged write etcd lost, then one it applied whose answer never came: etcd's
        // version of the key counts as many puts as were acknowledged.
        await registry.LoseAcknowledgedWriteAsync(key);
        await registry.WriteUnansweredAsync(key);

        // Counting versions cannot see it: the check without etcd's record of puts passes.
        Assert.Empty(await registry.VerifyAsync(client));
        var problem = Assert.Single(await registry.VerifyAsync(client, history));
        Assert.Matches($"^{key}: lost: the write acknowledged at revision [0-9]+ is not among etcd's [0-9]+ puts of the key$", problem);
    }

    [Fact]
    public async Task AnUnansweredWriteEtcdApplied_IsNoProblem_AndAPutNoWriterSentIs()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        var client = cluster.CreateClient();
        await using var history = await KeyHistory.StartAsync(client, Shape.Prefix);
        var (_, registry, key) = await WrittenAsync(cluster, WriterBehaviour.Changing);

        await registry.WriteUnansweredAsync(key);
        Assert.Empty(await registry.VerifyAsync(client, history));

        // The control: a put of a value the writer never sent is seen, write by write.
        await client.PutAsync(key, "{\"written\":\"behind the writer's back\"}");
        var problems = await registry.VerifyAsync(client, history);
        Assert.Contains(problems, p => p.StartsWith($"{key}: a put at revision", StringComparison.Ordinal));
    }

    /// <summary>Four rounds of the workload, and the key of its first writer of <paramref name="behaviour"/>.</summary>
    private static async Task<(dotnet_etcd.EtcdClient Client, RegistryWorkload Registry, string Key)> WrittenAsync(EtcdTestCluster cluster, WriterBehaviour behaviour)
    {
        var client = cluster.CreateClient();
        var registry = new RegistryWorkload(client, Shape);
        await registry.RunRoundsAsync(4);
        return (client, registry, registry.Nodes.First(n => n.Behaviour == behaviour).Key);
    }
}
