namespace EtcdHygiene.Core.Analysis;

/// <summary>
/// The Space-Saving heavy-hitters sketch (Metwally, Agrawal, El Abbadi, 2005): counts the most
/// frequent items of a stream in a fixed number of counters. Each estimate is at least the true
/// count and overestimates it by at most <c>total / capacity</c>; every item more frequent than
/// that is guaranteed to be held.
/// </summary>
/// <remarks>
/// The paper's Stream-Summary layout: counters hang in buckets of equal count, buckets in a list
/// by ascending count, so an increment moves a counter to the neighbouring bucket and the smallest
/// counter is at the head — O(1) for the unit increments a watch stream makes, without allocating
/// once full (an evicted counter is reused for the newcomer). Among equal counts, the counter that
/// reached that count first is evicted first.
/// </remarks>
public sealed class SpaceSaving<T> where T : notnull
{
    private readonly int _capacity;
    private readonly Dictionary<T, Counter> _counters;
    private readonly Stack<Bucket> _spare = new();
    private Bucket? _smallest;

    /// <summary>Creates a sketch of <paramref name="capacity"/> counters.</summary>
    public SpaceSaving(int capacity)
    {
        if (capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), "at least one counter");
        }
        _capacity = capacity;
        _counters = new Dictionary<T, Counter>(capacity);
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
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Total += count;
        evicted = default;
        if (_counters.TryGetValue(item, out var counter))
        {
            Raise(counter, counter.Bucket.Count + count);
            return false;
        }
        if (_counters.Count < _capacity)
        {
            counter = new Counter { Item = item };
            _counters[item] = counter;
            Place(counter, count, from: null);
            return false;
        }
        // Evict the smallest counter; the newcomer takes it over, its count as possible error.
        counter = _smallest!.First!;
        var smallest = counter.Bucket.Count;
        _counters.Remove(counter.Item);
        evicted = counter.Item;
        counter.Item = item;
        counter.Error = smallest;
        _counters[item] = counter;
        Raise(counter, smallest + count);
        return true;
    }

    /// <summary>The estimate of <paramref name="item"/>: 0 when not held.</summary>
    public long Estimate(T item) => _counters.TryGetValue(item, out var counter) ? counter.Bucket.Count : 0;

    /// <summary>The held items, most frequent first, with estimate and maximum overestimate.</summary>
    public IReadOnlyList<(T Item, long Count, long Error)> Top(int n) =>
        _counters.Values.OrderByDescending(c => c.Bucket.Count).Take(n).Select(c => (c.Item, c.Bucket.Count, c.Error)).ToList();

    /// <summary>Moves <paramref name="counter"/> from its bucket to the one of <paramref name="count"/> (higher).</summary>
    private void Raise(Counter counter, long count)
    {
        var from = counter.Bucket;
        from.Remove(counter);
        Place(counter, count, from);
        if (from.First is null)
        {
            Unlink(from);
        }
    }

    /// <summary>
    /// Puts <paramref name="counter"/> last into the bucket of <paramref name="count"/>, creating it
    /// in order; the search starts after <paramref name="from"/> (a bucket of a smaller count), or at the head.
    /// </summary>
    private void Place(Counter counter, long count, Bucket? from)
    {
        var before = from;
        var next = from is null ? _smallest : from.Next;
        while (next is not null && next.Count < count)
        {
            before = next;
            next = next.Next;
        }
        if (next is null || next.Count != count)
        {
            var bucket = _spare.Count > 0 ? _spare.Pop() : new Bucket();
            bucket.Count = count;
            bucket.Previous = before;
            bucket.Next = next;
            if (before is null)
            {
                _smallest = bucket;
            }
            else
            {
                before.Next = bucket;
            }
            if (next is not null)
            {
                next.Previous = bucket;
            }
            next = bucket;
        }
        next.Append(counter);
    }

    private void Unlink(Bucket bucket)
    {
        if (bucket.Previous is null)
        {
            _smallest = bucket.Next;
        }
        else
        {
            bucket.Previous.Next = bucket.Next;
        }
        if (bucket.Next is not null)
        {
            bucket.Next.Previous = bucket.Previous;
        }
        bucket.Previous = bucket.Next = null;
        _spare.Push(bucket);
    }

    private sealed class Counter
    {
        public T Item = default!;
        public long Error;
        public Bucket Bucket = null!;
        public Counter? Previous;
        public Counter? Next;
    }

    /// <summary>The counters of one count, in the order they reached it.</summary>
    private sealed class Bucket
    {
        public long Count;
        public Counter? First;
        public Counter? Last;
        public Bucket? Previous;
        public Bucket? Next;

        public void Append(Counter counter)
        {
            counter.Bucket = this;
            counter.Previous = Last;
            counter.Next = null;
            if (Last is null)
            {
                First = counter;
            }
            else
            {
                Last.Next = counter;
            }
            Last = counter;
        }

        public void Remove(Counter counter)
        {
            if (counter.Previous is null)
            {
                First = counter.Next;
            }
            else
            {
                counter.Previous.Next = counter.Next;
            }
            if (counter.Next is null)
            {
                Last = counter.Previous;
            }
            else
            {
                counter.Next.Previous = counter.Previous;
            }
            counter.Previous = counter.Next = null;
        }
    }
}
