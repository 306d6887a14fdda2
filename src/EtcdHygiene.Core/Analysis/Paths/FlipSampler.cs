namespace EtcdHygiene.Core.Analysis.Paths;

/// <summary>
/// Which writes get a path diff, and the previous values those need. The classifier keeps 12
/// bytes a key; a diff needs the whole previous value. So values are kept only for a few keys
/// (<see cref="KeysPerGroup"/>) of the groups that waste most — chosen by the analyzer from its
/// ranking (<see cref="Choose"/>) — within <see cref="MaxKeptBytes"/> in all, and only reorder-only
/// and changed writes of those keys are compared, as often as the analyzer's budget allows. A
/// group's writer rewrites all its keys alike, so a few keys tell what flips.
/// </summary>
public sealed class FlipSampler
{
    /// <summary>Keys of one group whose values are kept.</summary>
    public const int KeysPerGroup = 8;

    /// <summary>Largest value kept: a diff of larger ones would cost more than the analysis of thousands of writes.</summary>
    public const int MaxValueBytes = 256 * 1024;

    /// <summary>All values kept, in bytes.</summary>
    public const long MaxKeptBytes = 4 * 1024 * 1024;

    private readonly int _groups;
    private readonly HashSet<ulong> _sampled = [];
    private readonly Dictionary<ulong, KeptValue> _values = [];
    private readonly Dictionary<ulong, int> _keysOf = [];
    private long _keptBytes;

    /// <summary>Creates a sampler of at most <paramref name="groups"/> groups.</summary>
    public FlipSampler(int groups) => _groups = Math.Max(1, groups);

    /// <summary>Writes compared path by path so far.</summary>
    public long Compared { get; private set; }

    /// <summary>Bytes of values kept now.</summary>
    public long KeptBytes => _keptBytes;

    /// <summary>
    /// True when <paramref name="group"/>'s writes are sampled: it is among the groups chosen at the
    /// last <see cref="Choose"/>, or fewer groups than that were chosen (the first ones seen fill the
    /// places until the next choice).
    /// </summary>
    public bool Samples(ulong group) => _sampled.Contains(group) || (_sampled.Count < _groups && _sampled.Add(group));

    /// <summary>
    /// Compares a write of a sampled group with the key's kept value when the write is reorder-only
    /// or changed, and keeps the new value for the next write (room permitting).
    /// </summary>
    /// <param name="group">The write's group.</param>
    /// <param name="key">The write's key.</param>
    /// <param name="value">The value written.</param>
    /// <param name="kind">What the classifier made of it.</param>
    /// <param name="mayCompare">False when the comparison budget is spent: the value is still kept, for a later write.</param>
    /// <returns>The flips; null when nothing was compared (no kept value, another kind, no budget, or not JSON).</returns>
    public IReadOnlyList<JsonFlip>? Observe(ulong group, ulong key, ReadOnlySpan<byte> value, WriteKind kind, bool mayCompare = true)
    {
        if (!_values.TryGetValue(key, out var kept))
        {
            if (value.Length > MaxValueBytes || _keysOf.GetValueOrDefault(group) >= KeysPerGroup || _keptBytes + value.Length > MaxKeptBytes)
            {
                return null;
            }
            _values[key] = new KeptValue(group, value.ToArray());
            _keysOf[group] = _keysOf.GetValueOrDefault(group) + 1;
            _keptBytes += value.Length;
            return null;
        }
        IReadOnlyList<JsonFlip>? flips = null;
        if (mayCompare && kind is WriteKind.ReorderOnlyRewrite or WriteKind.Changed)
        {
            flips = JsonDiff.Compare(kept.Value, value.ToArray());
            Compared++;
        }
        if (value.Length > MaxValueBytes || _keptBytes - kept.Value.Length + value.Length > MaxKeptBytes)
        {
            _keptBytes -= kept.Value.Length;
            Forget(key, group);
            return flips;
        }
        // Most rewrites keep the length (a reorder does): the kept buffer is reused, no garbage.
        _keptBytes += value.Length - kept.Value.Length;
        kept.Value = kept.Value.Length == value.Length ? kept.Value : new byte[value.Length];
        value.CopyTo(kept.Value);
        return flips;
    }

    /// <summary>
    /// Chooses the groups to sample from now on from the <paramref name="ranked"/> groups, most
    /// wasteful first. A group sampled already stays while it ranks within twice the places: groups
    /// close in waste trade places all the time, and one dropped loses the values it kept, so its
    /// next writes could not be compared. Values kept for the groups left out are dropped.
    /// </summary>
    public void Choose(IEnumerable<ulong> ranked)
    {
        var candidates = ranked.Take(2 * _groups).ToList();
        var staying = candidates.Where(_sampled.Contains).ToList();
        _sampled.Clear();
        // Those staying first, then the most wasteful newcomers, up to the places there are.
        foreach (var group in staying.Concat(candidates))
        {
            if (_sampled.Count == _groups)
            {
                break;
            }
            _sampled.Add(group);
        }
        foreach (var (key, kept) in _values.Where(v => !_sampled.Contains(v.Value.Group)).ToList())
        {
            _keptBytes -= kept.Value.Length;
            Forget(key, kept.Group);
        }
    }

    private void Forget(ulong key, ulong group)
    {
        _values.Remove(key);
        if (--_keysOf[group] == 0)
        {
            _keysOf.Remove(group);
        }
    }

    /// <summary>A key's last value, kept for the next comparison.</summary>
    private sealed class KeptValue(ulong group, byte[] value)
    {
        public ulong Group { get; } = group;
        public byte[] Value { get; set; } = value;
    }
}
