namespace EtcdHygiene.Core.Analysis;

/// <summary>
/// Write counts per key group and per key over a sliding window, in bounded memory: the window is
/// cut into slices, and each slice counts groups and keys in Space-Saving sketches, keeping a
/// detailed tally only for the groups its sketch holds. A slice leaving the window is dropped whole.
/// </summary>
public sealed class ChurnWindow
{
    private readonly Slice[] _slices;
    private readonly long _sliceTicks;
    private readonly int _capacity;

    /// <summary>Creates a window of <paramref name="length"/> in <paramref name="slices"/> slices, each tracking <paramref name="capacity"/> groups and keys.</summary>
    public ChurnWindow(TimeSpan length, int slices, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slices, 1);
        _sliceTicks = Math.Max(1, length.Ticks / slices);
        _capacity = capacity;
        _slices = new Slice[slices];
    }

    /// <summary>Counts one write of <paramref name="key"/> in group <paramref name="group"/> at <paramref name="at"/>.</summary>
    /// <param name="group">Group id (hash of its prefix).</param>
    /// <param name="groupPrefix">The group's prefix bytes, turned into a name only when the group is new to the slice.</param>
    /// <param name="key">Key id.</param>
    /// <param name="keyBytes">The key, turned into a name only when new to the slice.</param>
    /// <param name="kind">What the write did.</param>
    /// <param name="historyBytes">History it created.</param>
    /// <param name="at">When it happened.</param>
    /// <param name="dated">False when <paramref name="at"/> is only when the write was read (replayed history without a known time).</param>
    /// <returns>The group's tally in the slice the write counts in; null when it is outside the window.</returns>
    public GroupTally? Add(ulong group, ReadOnlySpan<byte> groupPrefix, ulong key, ReadOnlySpan<byte> keyBytes, WriteKind kind, long historyBytes, DateTimeOffset at, bool dated = true)
    {
        var slice = SliceFor(at);
        if (slice is null)
        {
            return null;
        }
        slice.HistoryBytes += historyBytes;
        if (slice.Groups.Add(group, 1, out var evictedGroup))
        {
            slice.Tallies.Remove(evictedGroup);
        }
        if (!slice.Tallies.TryGetValue(group, out var tally))
        {
            tally = new GroupTally(KeyGroup.Name(groupPrefix));
            slice.Tallies[group] = tally;
        }
        tally.Add(kind, historyBytes, dated);
        if (slice.Keys.Add(key, 1, out var evictedKey))
        {
            slice.KeyNames.Remove(evictedKey);
        }
        if (!slice.KeyNames.ContainsKey(key))
        {
            slice.KeyNames[key] = System.Text.Encoding.UTF8.GetString(keyBytes);
        }
        return tally;
    }

    /// <summary>
    /// The groups of the slices still inside the window at <paramref name="now"/>, merged, with the
    /// total overestimate their counts may carry and the history every write in the window created.
    /// </summary>
    public (IReadOnlyCollection<GroupTally> Groups, long ErrorBound, long HistoryBytes) Groups(DateTimeOffset now)
    {
        var merged = new Dictionary<ulong, GroupTally>();
        long error = 0;
        long history = 0;
        foreach (var slice in Live(now))
        {
            error += slice.Groups.ErrorBound;
            history += slice.HistoryBytes;
            foreach (var (id, tally) in slice.Tallies)
            {
                if (!merged.TryGetValue(id, out var sum))
                {
                    merged[id] = sum = new GroupTally(tally.Name);
                }
                sum.Add(tally);
            }
        }
        return (merged.Values, error, history);
    }

    /// <summary>The groups of the newest slice, by id: what is being written now.</summary>
    public IEnumerable<(ulong Id, GroupTally Tally)> Newest()
    {
        var newest = _slices.Where(s => s is not null).MaxBy(s => s.Index);
        return newest is null ? [] : newest.Tallies.Select(t => (t.Key, t.Value));
    }

    /// <summary>The keys written most inside the window at <paramref name="now"/>, with their estimated writes.</summary>
    public IReadOnlyList<(string Key, long Writes)> TopKeys(DateTimeOffset now, int count)
    {
        var merged = new Dictionary<ulong, (string Name, long Writes)>();
        foreach (var slice in Live(now))
        {
            foreach (var (id, name) in slice.KeyNames)
            {
                var writes = slice.Keys.Estimate(id);
                merged[id] = merged.TryGetValue(id, out var sum) ? (name, sum.Writes + writes) : (name, writes);
            }
        }
        return merged.Values.OrderByDescending(k => k.Writes).ThenBy(k => k.Name, StringComparer.Ordinal)
            .Take(count).Select(k => (k.Name, k.Writes)).ToList();
    }

    private IEnumerable<Slice> Live(DateTimeOffset now)
    {
        var current = now.UtcTicks / _sliceTicks;
        return _slices.Where(s => s is not null && s.Index > current - _slices.Length && s.Index <= current);
    }

    private Slice? SliceFor(DateTimeOffset at)
    {
        var index = at.UtcTicks / _sliceTicks;
        var position = (int)(index % _slices.Length);
        var slice = _slices[position];
        if (slice is null || slice.Index < index)
        {
            _slices[position] = slice = new Slice(index, _capacity);
        }
        // An event older than the slice now in its place is outside the window.
        return slice.Index == index ? slice : null;
    }

    private sealed class Slice(long index, int capacity)
    {
        public long Index { get; } = index;
        public SpaceSaving<ulong> Groups { get; } = new(capacity);
        public Dictionary<ulong, GroupTally> Tallies { get; } = [];
        public SpaceSaving<ulong> Keys { get; } = new(capacity);
        public Dictionary<ulong, string> KeyNames { get; } = [];
        public long HistoryBytes { get; set; }
    }
}
