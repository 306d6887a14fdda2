namespace EtcdHygiene.Core.Planning;

/// <summary>Which members a defragmentation round takes.</summary>
internal enum DefragMode
{
    /// <summary>Members the rule picks, inside the window.</summary>
    Rule,
    /// <summary>NOSPACE recovery: every voting member not defragmented since the last compaction, window ignored.</summary>
    NoSpace,
}
