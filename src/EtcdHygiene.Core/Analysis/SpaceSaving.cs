namespace EtcdHygiene.Core.Analysis;

/// <summary>
/// The Space-Saving heavy-hitters sketch (Metwally, Agrawal, El Abbadi, 2005): counts the most
/// frequent items of a stream in a fixed number of counters. Each estimate is at least the true
/// count and overestimates it by at most <c>total / capacity</c>; every item more frequent than
/// that is guaranteed to be held.
/// </summary>
public sealed class SpaceSaving<T> where T : notnull
{
    private readonly int _capacity;
    private readonly Dictionary<T, (long Count, long Error)> _counters;
    // Counters ordered by count, so the minimum is found in O(log k) when a new item evicts it.
    private readonly SortedSet<(long Count, long Sequence, T Item)> _byCount;
    private readonly Dictionary<T, long> _sequence;
    private long _nextSequence;

    /// <summary>Creates a sketch of <paramref name="capacity"/> counters.</summary>
    public SpaceSaving(int capacity)
    {
        if (capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), "at least one counter");
        }
        _capacity = capacity;
        _counters = new Dictionary<T, (long, long)>(capacity);
        _sequence = new Dictionary<T, long>(capacity);
        _byCount = new SortedSet<(long, long, T)>(Comparer<(long Count, long Sequence, T Item)>.Create((a, b) =>
            a.Count != b.Count ? a.Count.CompareTo(b.Count) : a.Sequence.CompareTo(b.Sequence)));
    }

    /// <summary>Items seen so far.</summary>
    public long Total { get; private set; }

    /// <summary>The most any estimate can exceed its true count.</summary>
    public long ErrorBound => Total / _capacity;

    /// <summary>Counts <paramref name="count"/> occurrences of <paramref name="item"/>.</summary>
    public void Add(T item, long count = 1) => Add(item, count, out _);

    /// <summary>
    /// Counts <paramref name="count"/> occurrences of <paramref name="item"/>; true when that made
    /// room by dropping <paramref name="evicted"/>, so callers can forget what they kept for it.
    /// </summary>
    public bool Add(T item, long count, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T evicted)
    {
        Total += count;
        evicted = default;
        if (_counters.TryGetValue(item, out var counter))
        {
            Move(item, counter.Count, counter.Count + count);
            _counters[item] = (counter.Count + count, counter.Error);
            return false;
        }
        if (_counters.Count < _capacity)
        {
            Insert(item, count, 0);
            return false;
        }
        // Evict the smallest counter; the newcomer inherits its count as possible error.
        var smallest = _byCount.Min;
        _byCount.Remove(smallest);
        _counters.Remove(smallest.Item);
        _sequence.Remove(smallest.Item);
        Insert(item, smallest.Count + count, smallest.Count);
        evicted = smallest.Item;
        return true;
    }

    /// <summary>The estimate of <paramref name="item"/>: 0 when not held.</summary>
    public long Estimate(T item) => _counters.TryGetValue(item, out var counter) ? counter.Count : 0;

    /// <summary>The held items, most frequent first, with estimate and maximum overestimate.</summary>
    public IReadOnlyList<(T Item, long Count, long Error)> Top(int n) =>
        _counters.OrderByDescending(c => c.Value.Count).Take(n).Select(c => (c.Key, c.Value.Count, c.Value.Error)).ToList();

    private void Insert(T item, long count, long error)
    {
        var sequence = _nextSequence++;
        _counters[item] = (count, error);
        _sequence[item] = sequence;
        _byCount.Add((count, sequence, item));
    }

    private void Move(T item, long from, long to)
    {
        var sequence = _sequence[item];
        _byCount.Remove((from, sequence, item));
        _byCount.Add((to, sequence, item));
    }
}
