namespace EtcdHygiene.Core.Analysis;

/// <summary>What a write did to a key, compared with the key's previous value.</summary>
public enum WriteKind
{
    /// <summary>The key did not exist.</summary>
    Created,
    /// <summary>The value's meaning changed.</summary>
    Changed,
    /// <summary>The same bytes again: a new revision for nothing.</summary>
    IdenticalRewrite,
    /// <summary>Different bytes, same JSON when order is ignored: the incident's pattern.</summary>
    ReorderOnlyRewrite,
    /// <summary>The key came back with the same content under a new lease.</summary>
    LeaseRecreated,
    /// <summary>The key was deleted.</summary>
    Deleted,
    /// <summary>
    /// The key existed but its previous value is unknown: it was evicted from the tracked keys.
    /// Never counted as a no-op without evidence.
    /// </summary>
    Unknown,
}
