namespace EtcdHygiene.Core.Analysis;

/// <summary>Classifies one write of a key against what the key held before.</summary>
public static class WriteClassifier
{
    /// <summary>
    /// The kind of a put of <paramref name="value"/> on <paramref name="lease"/>, given the key's
    /// previous value and lease (null when it did not exist).
    /// </summary>
    public static WriteKind Classify(ReadOnlySpan<byte> previous, long? previousLease, bool existed, ReadOnlySpan<byte> value, long lease)
    {
        if (!existed)
        {
            return WriteKind.Created;
        }
        var sameBytes = previous.SequenceEqual(value);
        var sameMeaning = sameBytes || CanonicalJson.SameMeaning(previous, value);
        if (sameMeaning && previousLease is { } before && before != lease)
        {
            return WriteKind.LeaseRecreated;
        }
        return sameBytes ? WriteKind.IdenticalRewrite : sameMeaning ? WriteKind.ReorderOnlyRewrite : WriteKind.Changed;
    }
}
