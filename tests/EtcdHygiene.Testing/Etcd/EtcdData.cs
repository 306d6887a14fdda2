using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>Data shapes tests put into etcd, and the full read that proves nothing was lost.</summary>
public static class EtcdData
{
    /// <summary>
    /// Overwrites <paramref name="keys"/> keys of 4 KB <paramref name="rounds"/> times with 8 writers:
    /// history that a compaction turns into pages a defragmentation can give back.
    /// </summary>
    public static async Task FragmentAsync(EtcdClient client, int keys = 250, int rounds = 8, string prefix = "/garbage/")
    {
        var value = ByteString.CopyFrom(new byte[4096]);
        for (var round = 0; round < rounds; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async writer =>
            {
                for (var i = writer; i < keys; i += 8)
                {
                    await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"{prefix}{i}"), Value = value });
                }
            }));
        }
    }

    /// <summary>
    /// <paramref name="liveMebibytes"/> MiB of live data and about 8 MiB of history, compacted
    /// already (and a MiB written after it: etcd counts the pages a compaction freed only after later
    /// commits), so that a policy's first cycle goes straight to defragmentation, its retention
    /// keeping the last hour.
    /// </summary>
    public static async Task FragmentAndCompactAsync(EtcdClient client, int liveMebibytes)
    {
        await AddLiveDataAsync(client, liveMebibytes);
        await FragmentAsync(client);
        var revision = (await client.StatusAsync(new StatusRequest())).Header.Revision;
        await client.CompactAsync(new CompactionRequest { Revision = revision, Physical = true });
        await AddLiveDataAsync(client, 1, "/after-compaction/");
    }

    /// <summary>
    /// Writes <paramref name="mebibytes"/> MiB of live data in 4 KB keys with 8 writers: what a
    /// defragmentation must copy, so that it takes a while.
    /// </summary>
    public static async Task AddLiveDataAsync(EtcdClient client, int mebibytes, string prefix = "/live-data/")
    {
        var value = ByteString.CopyFrom(new byte[4096]);
        var keys = mebibytes * 256;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async writer =>
        {
            for (var i = writer; i < keys; i += 8)
            {
                await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"{prefix}{i}"), Value = value });
            }
        }));
    }

    /// <summary>
    /// A production-sized registry database: <paramref name="mebibytes"/> MiB of 4 KiB values
    /// written <paramref name="writes"/> times, then compacted, so that the older copies are free
    /// pages inside the file: what a registry that rewrites its entries leaves behind between
    /// maintenance runs. With its key and bbolt's page layout a 4 KiB value takes about 6 KiB, so
    /// the data in use is about 1.5 times <paramref name="mebibytes"/>. Written in transactions of 64 puts (under
    /// etcd's default 128 operations and 1.5 MiB per request) by 8 writers, so that a GiB takes a
    /// minute rather than ten.
    /// </summary>
    public static async Task FillAndCompactAsync(EtcdClient client, int mebibytes, int writes = 3, string prefix = "/registry-data/")
    {
        const int PerTransaction = 64;
        var value = ByteString.CopyFrom(new byte[4096]);
        var keys = mebibytes * 256;
        var batches = (keys + PerTransaction - 1) / PerTransaction;
        for (var round = 0; round < writes; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async writer =>
            {
                for (var batch = writer; batch < batches; batch += 8)
                {
                    var transaction = new TxnRequest();
                    for (var i = batch * PerTransaction; i < Math.Min(keys, (batch + 1) * PerTransaction); i++)
                    {
                        transaction.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8($"{prefix}{i}"), Value = value } });
                    }
                    await client.TransactionAsync(transaction);
                }
            }));
        }
        var revision = (await client.GetAsync("/")).Header.Revision;
        await client.CompactAsync(new CompactionRequest { Revision = revision, Physical = true });
    }

    /// <summary>
    /// Every member's HashKV at one revision (the first member's current one): equal hashes and
    /// compact revisions mean the members hold the same keys, values and history.
    /// </summary>
    public static async Task<IReadOnlyList<(string Member, uint Hash, long CompactRevision)>> HashesAtOneRevisionAsync(EtcdTestCluster cluster)
    {
        var revision = (await cluster.ClientFor(cluster.Members[0]).GetAsync("/")).Header.Revision;
        var hashes = new List<(string Member, uint Hash, long CompactRevision)>();
        foreach (var member in cluster.Members)
        {
            var hash = await cluster.ClientFor(member).HashKVAsync(new HashKVRequest { Revision = revision });
            hashes.Add((member.Name, hash.Hash, hash.CompactRevision));
        }
        return hashes;
    }

    /// <summary>Every live key and its value.</summary>
    public static async Task<Dictionary<string, string>> ReadAllAsync(EtcdClient client)
    {
        var all = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("\0"), RangeEnd = ByteString.CopyFromUtf8("\0") });
        return all.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8(), kv => kv.Value.ToStringUtf8());
    }
}
