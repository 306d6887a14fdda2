namespace EtcdHygiene.Testing.Etcd;

/// <summary>What a member wrote in its log that tells what was done to it, and when (etcd's own clock).</summary>
/// <param name="Member">The member's name.</param>
/// <param name="At">etcd's timestamp of the line.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Revision">The compacted revision, for <see cref="EtcdLogEventKind.Compacted"/>.</param>
public sealed record EtcdLogEvent(string Member, DateTimeOffset At, EtcdLogEventKind Kind, long? Revision = null);

/// <summary>The log lines a test reads: the same messages in etcd 3.4 and 3.5.</summary>
public enum EtcdLogEventKind
{
    /// <summary>"starting an etcd server": the process (re)started.</summary>
    Started,
    /// <summary>"starting defragment": a Defragment request began.</summary>
    DefragmentStarted,
    /// <summary>"finished defragment": it ended.</summary>
    DefragmentFinished,
    /// <summary>"compact tree index": the member compacted its history up to a revision.</summary>
    Compacted,
}
