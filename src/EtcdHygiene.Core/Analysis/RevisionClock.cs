using EtcdHygiene.Core.Planning;

namespace EtcdHygiene.Core.Analysis;

/// <summary>
/// Dates revisions. etcd keeps no time with a revision, so replayed history is dated from
/// (time, revision) pairs seen earlier — the revision samples compaction keeps — interpolating
/// between them and extrapolating before the first at the average rate. Without two distinct
/// pairs the time of old revisions is unknown, and rates derived from them are not reported.
/// </summary>
public sealed class RevisionClock
{
    private readonly List<RevisionSample> _points;

    /// <summary>Creates a clock from known (time, revision) pairs in any order.</summary>
    public RevisionClock(IEnumerable<RevisionSample> points)
    {
        _points = points.OrderBy(p => p.Revision).ThenBy(p => p.At).ToList();
    }

    /// <summary>When <paramref name="revision"/> was written, as far as the pairs tell; null when they cannot.</summary>
    public DateTimeOffset? TimeOf(long revision)
    {
        if (_points.Count < 2 || _points[^1].Revision == _points[0].Revision || _points[^1].At <= _points[0].At)
        {
            return null;
        }
        var after = _points.FindIndex(p => p.Revision >= revision);
        var (from, to) = after switch
        {
            < 0 => (_points[^2], _points[^1]),
            0 => (_points[0], _points[^1]),
            _ => (_points[after - 1], _points[after]),
        };
        if (to.Revision == from.Revision)
        {
            return to.At;
        }
        var ticksPerRevision = (double)(to.At - from.At).Ticks / (to.Revision - from.Revision);
        return from.At + TimeSpan.FromTicks((long)(ticksPerRevision * (revision - from.Revision)));
    }
}
