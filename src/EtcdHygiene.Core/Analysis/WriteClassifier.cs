namespace EtcdHygiene.Core.Analysis;

/// <summary>Classifies one write of a key against what the key held before.</summary>
public static class WriteClassifier
{
    /// <summary>
    /// The kind of a put whose value and lease are <paramref name="current"/>.
    /// <paramref name="previous"/> is the key's last known value (kept after a delete, so a key
    /// coming back can be recognised), null when unknown; <paramref name="created"/> is etcd's word
    /// that the key did not exist before this put (its version is 1).
    /// </summary>
    public static WriteKind Classify(ValueFacts? previous, bool created, ValueFacts current)
    {
        if (previous is not { } before)
        {
            return created ? WriteKind.Created : WriteKind.Unknown;
        }
        var sameMeaning = before.Meaning == current.Meaning;
        var newLease = before.Lease != current.Lease;
        if (created)
        {
            return sameMeaning && newLease ? WriteKind.LeaseRecreated : WriteKind.Created;
        }
        if (!sameMeaning)
        {
            return WriteKind.Changed;
        }
        if (newLease)
        {
            return WriteKind.LeaseRecreated;
        }
        return before.Bytes == current.Bytes ? WriteKind.IdenticalRewrite : WriteKind.ReorderOnlyRewrite;
    }

    /// <summary>True for the writes that create a revision without changing what readers see.</summary>
    public static bool IsNoOp(WriteKind kind) =>
        kind is WriteKind.IdenticalRewrite or WriteKind.ReorderOnlyRewrite or WriteKind.LeaseRecreated;
}
