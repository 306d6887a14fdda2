using EtcdHygiene.Core.Analysis.Paths;

namespace EtcdHygiene.Core.Analysis;

/// <summary>What one key group's writes were, within one slice of the window.</summary>
public sealed class GroupTally(string name)
{
    private readonly long[] _byKind = new long[Enum.GetValues<WriteKind>().Length];

    /// <summary>The group's name, e.g. <c>/micro/registry/greeter/*</c>.</summary>
    public string Name { get; } = name;

    /// <summary>Writes seen (deletes included).</summary>
    public long Writes { get; private set; }

    /// <summary>Approximate bytes of history the writes created.</summary>
    public long HistoryBytes { get; private set; }

    /// <summary>Replayed writes whose time is unknown: counted, but left out of rates.</summary>
    public long UndatedWrites { get; private set; }

    /// <summary>History bytes of the undated writes.</summary>
    public long UndatedHistoryBytes { get; private set; }

    /// <summary>The paths its sampled writes flipped; null when none was examined.</summary>
    public FlipTally? Flips { get; private set; }

    /// <summary>Writes that created a revision without changing what readers see.</summary>
    public long NoOpWrites => Of(WriteKind.IdenticalRewrite) + Of(WriteKind.ReorderOnlyRewrite) + Of(WriteKind.LeaseRecreated);

    /// <summary>Writes of <paramref name="kind"/>.</summary>
    public long Of(WriteKind kind) => _byKind[(int)kind];

    /// <summary>Counts one write; <paramref name="dated"/> false for replayed history without a known time.</summary>
    public void Add(WriteKind kind, long historyBytes, bool dated)
    {
        _byKind[(int)kind]++;
        Writes++;
        HistoryBytes += historyBytes;
        if (!dated)
        {
            UndatedWrites++;
            UndatedHistoryBytes += historyBytes;
        }
    }

    /// <summary>Counts the paths one examined write of <paramref name="kind"/> flipped.</summary>
    public void AddFlips(WriteKind kind, IReadOnlyList<JsonFlip> flips) => (Flips ??= new FlipTally()).Add(kind, flips);

    /// <summary>Adds another slice's tally of the same group.</summary>
    public void Add(GroupTally other)
    {
        for (var i = 0; i < _byKind.Length; i++)
        {
            _byKind[i] += other._byKind[i];
        }
        Writes += other.Writes;
        HistoryBytes += other.HistoryBytes;
        UndatedWrites += other.UndatedWrites;
        UndatedHistoryBytes += other.UndatedHistoryBytes;
        if (other.Flips is not null)
        {
            (Flips ??= new FlipTally()).Add(other.Flips);
        }
    }
}
