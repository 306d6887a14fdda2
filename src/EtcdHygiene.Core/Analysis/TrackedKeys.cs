using System.IO.Hashing;

namespace EtcdHygiene.Core.Analysis;

/// <summary>
/// The last value of every key the analyzer follows, by a 64-bit hash of the key (a million keys
/// collide with probability ~3·10⁻⁸). Bounded: when a shard is full an arbitrary sixteenth of it
/// is forgotten, and those keys' next writes are classified <see cref="WriteKind.Unknown"/>.
/// </summary>
/// <remarks>
/// Keys are spread over 64 shards that each grow by doubling up to their share of the capacity:
/// a policy over a few hundred keys costs kilobytes, one over a million keys about 36 MiB, and
/// growing never needs one huge array beside its predecessor (which a single table would, at
/// exactly the moment memory is highest).
/// </remarks>
public sealed class TrackedKeys
{
    private const int ShardCount = 64;
    private readonly Shard[] _shards;

    /// <summary>Creates a table holding at most <paramref name="capacity"/> keys.</summary>
    public TrackedKeys(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, ShardCount * 16);
        Capacity = capacity;
        // Hashes spread keys unevenly: an eighth more per shard lets the table hold all of
        // <capacity> distinct keys before any shard evicts (at most 9/8 of the capacity overall).
        var perShard = capacity / ShardCount * 9 / 8;
        _shards = Enumerable.Range(0, ShardCount).Select(_ => new Shard(perShard)).ToArray();
    }

    /// <summary>Keys the table holds before evicting (it may hold up to 9/8 of this).</summary>
    public int Capacity { get; }

    /// <summary>Keys held now.</summary>
    public int Count => _shards.Sum(s => s.Keys.Count);

    /// <summary>Keys forgotten to stay within the capacity.</summary>
    public long Evicted => _shards.Sum(s => s.Evicted);

    /// <summary>The hash a key is held by.</summary>
    public static ulong IdOf(ReadOnlySpan<byte> key) => XxHash64.HashToUInt64(key);

    /// <summary>The key's last value, null when never seen or forgotten.</summary>
    public ValueFacts? Get(ulong key) => ShardOf(key).Keys.TryGetValue(key, out var facts) ? facts : null;

    /// <summary>Sets the key's last value.</summary>
    public void Set(ulong key, ValueFacts facts)
    {
        var shard = ShardOf(key);
        if (shard.Keys.Count >= shard.Allocated && !shard.Keys.ContainsKey(key))
        {
            shard.MakeRoom();
        }
        shard.Keys[key] = facts;
    }

    // The low bits choose the bucket inside a shard; the high bits choose the shard.
    private Shard ShardOf(ulong key) => _shards[(int)(key >> 58)];

    private sealed class Shard(int capacity)
    {
        public Dictionary<ulong, ValueFacts> Keys { get; } = new(Math.Min(capacity, 64));
        public int Allocated { get; private set; } = Math.Min(capacity, 64);
        public long Evicted { get; private set; }

        public void MakeRoom()
        {
            if (Allocated < capacity)
            {
                // Grow ourselves, never past the capacity: Dictionary's own growth would overshoot it.
                Allocated = Math.Min(capacity, Keys.EnsureCapacity(Math.Min(capacity, Allocated * 2)));
                return;
            }
            var forget = Math.Max(1, capacity / 16);
            foreach (var key in Keys.Keys.Take(forget).ToList())
            {
                Keys.Remove(key);
            }
            Evicted += forget;
        }
    }
}
