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

    /// <summary>Every live key and its value.</summary>
    public static async Task<Dictionary<string, string>> ReadAllAsync(EtcdClient client)
    {
        var all = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("\0"), RangeEnd = ByteString.CopyFromUtf8("\0") });
        return all.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8(), kv => kv.Value.ToStringUtf8());
    }
}
