using EtcdHygiene.Core.Analysis.Paths;

namespace EtcdHygiene.Core.Analysis;

/// <summary>
/// Finds the writers whose writes change nothing: each write of a key is classified against the
/// key's last value, then counted for its group and key over a sliding window; for the groups that
/// waste most, a sample of writes is compared path by path (<see cref="FlipSampler"/>). Pure and
/// single-threaded: the caller feeds it events (from a watch, a replay or a benchmark) with the
/// time they happened, and asks for a report.
/// </summary>
public sealed class ChurnAnalyzer
{
    /// <summary>
    /// History a revision costs beyond its key and value: bbolt's revision key (17 B) and element
    /// header (16 B), and the stored KeyValue's other fields (about 30 B). An estimate.
    /// </summary>
    public const int HistoryOverheadBytes = 64;

    /// <summary>Events between two choices of the groups whose writes are compared path by path.</summary>
    public const int ChooseSampledEvery = 4096;

    /// <summary>Flipping paths reported per group.</summary>
    public const int PathsPerGroup = 3;

    /// <summary>Comparisons made before the budget applies: enough for a few groups' paths at once.</summary>
    public const int FreeComparisons = 256;

    /// <summary>
    /// Past <see cref="FreeComparisons"/>, at most one comparison per this many writes: a comparison
    /// parses both values into trees (tens of µs for 1 KiB, where classifying takes about 5), and a
    /// group's writer flips the same paths every time, so a sample says as much as all of them.
    /// </summary>
    public const int WritesPerComparison = 1000;

    private readonly ChurnAnalyzerOptions _options;
    private readonly TrackedKeys _keys;
    private readonly ChurnWindow _window;
    private readonly FlipSampler _flips;
    private readonly DateTimeOffset _startedAt;
    private DateTimeOffset _coveredSince;
    private long _firstRevision;

    /// <summary>Creates an analyzer started at <paramref name="startedAt"/>.</summary>
    public ChurnAnalyzer(ChurnAnalyzerOptions options, DateTimeOffset startedAt)
    {
        _options = options;
        _keys = new TrackedKeys(options.MaxTrackedKeys);
        _window = new ChurnWindow(options.Window, options.Slices, options.CountersPerSlice);
        // More groups sampled than reported: groups close in waste trade places in the ranking
        // between two choices, and each reported group should have its paths.
        _flips = new FlipSampler(Math.Max(2 * options.Top, 20));
        _startedAt = startedAt;
        _coveredSince = startedAt;
    }

    /// <summary>Events recorded so far.</summary>
    public long Events { get; private set; }

    /// <summary>Writes compared path by path so far (a sample of the wasteful groups' writes).</summary>
    public long ComparedWrites => _flips.Compared;

    /// <summary>The last revision recorded, 0 before any.</summary>
    public long LastRevision { get; private set; }

    /// <summary>
    /// Says that every write since <paramref name="since"/> is being counted: the time of the
    /// first replayed revision, when it can be dated. By default, the start of the analysis.
    /// </summary>
    public void CoverFrom(DateTimeOffset since) => _coveredSince = since;

    /// <summary>Learns a key's value as it was before the analysis starts, without counting a write.</summary>
    public void Remember(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long lease) =>
        _keys.Set(TrackedKeys.IdOf(key), ValueFacts.Of(value, lease));

    /// <summary>Classifies and counts one event of a watch.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value put (empty for a delete).</param>
    /// <param name="lease">The put's lease, 0 for none.</param>
    /// <param name="version">etcd's version of the key after the put: 1 when the put created it.</param>
    /// <param name="revision">The event's revision.</param>
    /// <param name="deleted">True for a delete.</param>
    /// <param name="at">
    /// When it happened; null for replayed history that cannot be dated. Undated writes count at
    /// the start of the analysis and show in counts and shares, never in rates.
    /// </param>
    public WriteKind Record(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long lease, long version, long revision, bool deleted, DateTimeOffset? at)
    {
        var id = TrackedKeys.IdOf(key);
        var previous = _keys.Get(id);
        WriteKind kind;
        if (deleted)
        {
            // Keep the last value: a key coming back with it under a new lease is LeaseRecreated.
            kind = WriteKind.Deleted;
        }
        else
        {
            var current = ValueFacts.Of(value, lease, previous);
            kind = WriteClassifier.Classify(previous, version == 1, current);
            _keys.Set(id, current);
        }
        var prefix = key[..KeyGroup.PrefixLength(key, _options.GroupDepth)];
        var group = TrackedKeys.IdOf(prefix);
        var history = key.Length + value.Length + HistoryOverheadBytes;
        var tally = _window.Add(group, prefix, id, key, kind, history, at ?? _startedAt, dated: at is not null);
        var mayCompare = _flips.Compared < FreeComparisons || _flips.Compared * WritesPerComparison < Events;
        if (!deleted && tally is not null && _flips.Samples(group) && _flips.Observe(group, id, value, kind, mayCompare) is { } flips)
        {
            tally.AddFlips(kind, flips);
        }
        if (++Events % ChooseSampledEvery == 0)
        {
            // The groups wasting most now (in the newest slice), ranked as the report ranks them.
            _flips.Choose(_window.Newest().OrderByDescending(g => g.Tally.NoOpWrites).ThenByDescending(g => g.Tally.HistoryBytes).Select(g => g.Id));
        }
        if (_firstRevision == 0)
        {
            _firstRevision = revision;
        }
        LastRevision = Math.Max(LastRevision, revision);
        return kind;
    }

    /// <summary>The ranked findings at <paramref name="now"/>.</summary>
    public ChurnReport Report(DateTimeOffset now)
    {
        var covered = Covered(now);
        var (groups, error, history) = _window.Groups(now);
        // Ranked by waste: the group to fix first is the one whose writes change nothing most often,
        // not the busiest (a group of real changes may well write more).
        var findings = groups
            .OrderByDescending(g => g.NoOpWrites).ThenByDescending(g => g.HistoryBytes).ThenBy(g => g.Name, StringComparer.Ordinal)
            .Take(_options.Top)
            .Select(g => new GroupFinding
            {
                Group = g.Name,
                Writes = g.Writes,
                WritesPerMinute = covered is { } c ? (g.Writes - g.UndatedWrites) / c.TotalMinutes : null,
                ByKind = Enum.GetValues<WriteKind>().Where(k => g.Of(k) > 0).ToDictionary(k => k, g.Of),
                HistoryBytes = g.HistoryBytes,
                HistoryBytesPerHour = covered is { } h ? (g.HistoryBytes - g.UndatedHistoryBytes) / h.TotalHours : null,
                UndatedWrites = g.UndatedWrites,
                HistoryShare = history == 0 ? 0 : (double)g.HistoryBytes / history,
                Paths = g.Flips?.Top(PathsPerGroup) ?? [],
            })
            .ToList();
        return new ChurnReport
        {
            At = now,
            Covered = covered,
            Groups = findings,
            Keys = _window.TopKeys(now, _options.Top),
            ErrorBound = error,
            HistoryBytes = history,
            Events = Events,
            Revisions = Events == 0 ? null : (_firstRevision, LastRevision),
            TrackedKeys = _keys.Count,
            EvictedKeys = _keys.Evicted,
        };
    }

    private TimeSpan? Covered(DateTimeOffset now)
    {
        var windowStart = now - _options.Window;
        var covered = now - (_coveredSince > windowStart ? _coveredSince : windowStart);
        // Less than a second says nothing about a rate.
        return covered >= TimeSpan.FromSeconds(1) ? covered : null;
    }
}
