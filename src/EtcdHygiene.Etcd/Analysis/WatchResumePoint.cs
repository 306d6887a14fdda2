namespace EtcdHygiene.Etcd.Analysis;

/// <summary>
/// Where one prefix's watcher resumes after its stream breaks, without missing or counting twice a
/// write. etcd fragments a response larger than its request limit, and a fragment may end inside a
/// revision (a transaction's writes): the watch then resumes at that revision, not after it, and
/// etcd delivers the whole revision again, in the same order. The events of it that were already
/// delivered are counted here and passed over the second time.
/// </summary>
/// <param name="start">The first revision to watch.</param>
public sealed class WatchResumePoint(long start)
{
    private long _partialRevision;
    private int _partialDelivered;
    private int _toPassOver;

    /// <summary>The revision a new stream starts at.</summary>
    public long Next { get; private set; } = start;

    /// <summary>A new stream starts at <see cref="Next"/>: the events of it already delivered come first again.</summary>
    public void Reopen() => _toPassOver = _partialRevision == Next ? _partialDelivered : 0;

    /// <summary>
    /// Takes an event of <paramref name="modRevision"/> from a response that is a fragment or not;
    /// false when it was delivered before the stream broke (pass it over), true when it is new.
    /// </summary>
    public bool Deliver(long modRevision, bool inFragment)
    {
        if (_toPassOver > 0 && modRevision == _partialRevision)
        {
            _toPassOver--;
            return false;
        }
        _toPassOver = 0;
        (_partialRevision, _partialDelivered) = modRevision == _partialRevision ? (modRevision, _partialDelivered + 1) : (modRevision, 1);
        Next = Math.Max(Next, modRevision + (inFragment ? 0 : 1));
        return true;
    }

    /// <summary>Goes on from <paramref name="revision"/> (after a compaction took the history before it): nothing is partly delivered.</summary>
    public void Restart(long revision)
    {
        Next = revision;
        (_partialRevision, _partialDelivered, _toPassOver) = (0, 0, 0);
    }
}
