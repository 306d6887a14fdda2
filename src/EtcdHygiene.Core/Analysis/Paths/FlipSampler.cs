namespace EtcdHygiene.Core.Analysis.Paths;

/// <summary>
/// Which writes get a path diff, and the previous values those need. The classifier keeps 12
/// bytes a key; a diff needs the whole previous value. So values are kept only for a few keys
/// (<see cref="KeysPerGroup"/>) of the groups that waste most — the report's top, refreshed by
/// the analyzer — within <see cref="MaxKeptBytes"/> in all, and only reorder-only and changed
/// writes of those keys are compared. A group's writer rewrites all its keys alike, so a few
/// keys tell what flips.
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
    private readonly Dictionary<ulong, (ulong Group, byte[] Value)> _values = [];
    private readonly Dictionary<ulong, int> _keysOf = [];
    private long _keptBytes;

    /// <summary>Creates a sampler of at most <paramref name="groups"/> groups.</summary>
    public FlipSampler(int groups) => _groups = Math.Max(1, groups);

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
    /// <returns>The flips; null when nothing was compared (no kept value, another kind, or not JSON).</returns>
    public IReadOnlyList<JsonFlip>? Observe(ulong group, ulong key, ReadOnlySpan<byte> value, WriteKind kind)
    {
        var kept = _values.TryGetValue(key, out var previous);
        if (!kept && (value.Length > MaxValueBytes || _keysOf.GetValueOrDefault(group) >= KeysPerGroup || _keptBytes + value.Length > MaxKeptBytes))
        {
            return null;
        }
        var current = value.ToArray();
        IReadOnlyList<JsonFlip>? flips = null;
        if (kept && kind is WriteKind.ReorderOnlyRewrite or WriteKind.Changed)
        {
            flips = JsonDiff.Compare(previous.Value, current);
        }
        if (kept)
        {
            _keptBytes -= previous.Value.Length;
            if (current.Length > MaxValueBytes || _keptBytes + current.Length > MaxKeptBytes)
            {
                Forget(key, group);
                return flips;
            }
        }
        else
        {
            _keysOf[group] = _keysOf.GetValueOrDefault(group) + 1;
        }
        _values[key] = (group, current);
        _keptBytes += current.Length;
        return flips;
    }

    /// <summary>
    /// Chooses the groups to sample from now on: the <paramref name="ranked"/> groups that waste
    /// most, first ones first. Values kept for the groups left out are dropped.
    /// </summary>
    public void Choose(IEnumerable<ulong> ranked)
    {
        _sampled.Clear();
        foreach (var group in ranked.Take(_groups))
        {
            _sampled.Add(group);
        }
        foreach (var (key, (group, _)) in _values.Where(v => !_sampled.Contains(v.Value.Group)).ToList())
        {
            _keptBytes -= _values[key].Value.Length;
            Forget(key, group);
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
}
