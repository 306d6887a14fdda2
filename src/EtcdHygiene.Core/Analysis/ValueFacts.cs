using System.IO.Hashing;

namespace EtcdHygiene.Core.Analysis;

/// <summary>
/// What the analyzer remembers of a key's last value: 32-bit hashes of its bytes and of its
/// order-insensitive meaning, and of its lease. Twelve bytes a key is what lets a million keys fit
/// in a few tens of MiB; a collision misclassifies one write with probability about 2^-32.
/// </summary>
public readonly record struct ValueFacts(uint Bytes, uint Meaning, uint Lease)
{
    /// <summary>The facts of <paramref name="value"/> on <paramref name="lease"/>, parsing the JSON only when the bytes are new.</summary>
    public static ValueFacts Of(ReadOnlySpan<byte> value, long lease, ValueFacts? previous = null)
    {
        var bytes = Fold(XxHash64.HashToUInt64(value));
        var meaning = previous is { } before && before.Bytes == bytes ? before.Meaning : Fold(CanonicalJson.Of(value).Hash);
        return new ValueFacts(bytes, meaning, Fold((ulong)lease));
    }

    private static uint Fold(ulong hash) => (uint)(hash ^ (hash >> 32));
}
