using System.IO.Hashing;
using System.Text.Json;

namespace EtcdHygiene.Core.Analysis;

/// <summary>
/// A fingerprint of a value that is equal for JSON documents meaning the same thing when object
/// members and array elements are compared regardless of order, and numbers by value (1.0 = 1).
/// It is how a rewrite that only reorders a registry entry's arrays is told from a real change.
/// Values that are not JSON are fingerprinted as bytes.
/// </summary>
/// <remarks>
/// One pass of <see cref="Utf8JsonReader"/> with order-independent combination (sums of mixed
/// 64-bit hashes) instead of sorting: no tree, no allocation per node, fast enough for a watch
/// stream. Two different documents share a fingerprint with probability about 2^-64.
/// </remarks>
public static class CanonicalJson
{
    /// <summary>The order-insensitive fingerprint of <paramref name="value"/>.</summary>
    public static Fingerprint Of(ReadOnlySpan<byte> value)
    {
        var reader = new Utf8JsonReader(value, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (reader.Read())
            {
                var hash = ReadValue(ref reader, value);
                if (!reader.Read())
                {
                    return new Fingerprint(hash, IsJson: true);
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall through to the bytes.
        }
        return new Fingerprint(XxHash64.HashToUInt64(value), IsJson: false);
    }

    /// <summary>True when both values mean the same JSON, or are the same bytes when not JSON.</summary>
    public static bool SameMeaning(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => Of(a) == Of(b);

    /// <param name="reader">Positioned on the value's first token.</param>
    /// <param name="json">The whole document, for an object that must be read again (<see cref="ReadObject"/>).</param>
    private static ulong ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                return ReadObject(ref reader, json);
            case JsonTokenType.StartArray:
                ulong elements = 0xC2B2AE3D27D4EB4F;
                ulong count = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    elements += Mix(ReadValue(ref reader, json));
                    count++;
                }
                return Mix(elements ^ (count << 8) ^ 0x0A);
            case JsonTokenType.String:
                return HashText(ref reader, 0x02);
            case JsonTokenType.Number:
                return HashNumber(ref reader);
            case JsonTokenType.True:
                return 0x7;
            case JsonTokenType.False:
                return 0x5;
            case JsonTokenType.Null:
                return 0x3;
            default:
                throw new JsonException($"unexpected {reader.TokenType}");
        }
    }

    /// <summary>
    /// An object's members, order-insensitive, a duplicate name counting as its last member only:
    /// <c>{"a":1,"a":2}</c> means <c>{"a":2}</c> to every parser that keeps the last duplicate
    /// (System.Text.Json, Go's encoding/json, JavaScript), so it must not equal <c>{"a":2,"a":1}</c>.
    /// </summary>
    /// <remarks>
    /// Duplicates are rare, and looking for them on every object would cost the hot path: names go
    /// into a 64-bit Bloom filter (two bits each), and only an object where a name may repeat is
    /// read a second time, from where it starts, keeping each name's last member.
    /// </remarks>
    private static ulong ReadObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        var start = reader.TokenStartIndex;
        ulong members = ObjectSeed;
        ulong seen = 0;
        var mayRepeat = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = HashText(ref reader, 0x01);
            var bits = (1UL << (int)(name & 63)) | (1UL << (int)((name >> 6) & 63));
            mayRepeat |= (seen & bits) == bits;
            seen |= bits;
            reader.Read();
            members += Mix(name * 31 + ReadValue(ref reader, json));
        }
        return mayRepeat ? ReadObjectLastWins(json[(int)start..]) : Mix(members ^ 0x0B);
    }

    /// <summary>The object that starts <paramref name="json"/>, read again keeping each name's last member.</summary>
    private static ulong ReadObjectLastWins(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        reader.Read();
        var last = new Dictionary<ulong, ulong>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = HashText(ref reader, 0x01);
            reader.Read();
            last[name] = Mix(name * 31 + ReadValue(ref reader, json));
        }
        var members = ObjectSeed;
        foreach (var contribution in last.Values)
        {
            members += contribution;
        }
        return Mix(members ^ 0x0B);
    }

    private const ulong ObjectSeed = 0x9E3779B97F4A7C15;

    private static ulong HashText(ref Utf8JsonReader reader, ulong kind)
    {
        // Escapes ("\u0041" vs "A") must not matter: hash the unescaped text.
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            return XxHash64.HashToUInt64(reader.ValueSpan, (long)kind);
        }
        return XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(reader.GetString()!), (long)kind);
    }

    private static ulong HashNumber(ref Utf8JsonReader reader)
    {
        // 1, 1.0 and 1e0 are one number: numbers hash by value, without allocating. Integers beyond
        // 2^53 hash exactly (a double would merge neighbours, hiding a real change of a large id);
        // every other number hashes as its double, so decimals differing past 17 digits are equal.
        const long exactDouble = 1L << 53;
        if (reader.TryGetInt64(out var whole) && whole is > exactDouble or < -exactDouble)
        {
            return Mix((ulong)whole ^ 0x0C);
        }
        if (reader.TryGetDouble(out var value) && double.IsFinite(value))
        {
            return Mix(BitConverter.DoubleToUInt64Bits(value == 0 ? 0d : value) ^ 0x04);
        }
        // Out of double's range: the literal is all there is.
        return XxHash64.HashToUInt64(reader.ValueSpan, 0x0D);
    }

    /// <summary>A strong 64-bit finalizer (from MurmurHash3) so that sums of hashes stay well spread.</summary>
    private static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCD;
        x ^= x >> 33;
        x *= 0xC4CEB93FE1A85A53;
        x ^= x >> 33;
        return x;
    }
}

/// <summary>The fingerprint of a value and whether it was JSON.</summary>
/// <param name="Hash">Order-insensitive hash.</param>
/// <param name="IsJson">False when the bytes were hashed as they are.</param>
public readonly record struct Fingerprint(ulong Hash, bool IsJson);
