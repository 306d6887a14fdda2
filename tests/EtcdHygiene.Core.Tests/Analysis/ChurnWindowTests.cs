using System.Text;
using EtcdHygiene.Core.Analysis;

namespace EtcdHygiene.Core.Tests.Analysis;

/// <summary>The sliding window, directly: slices that expire, writes too old to count, capped tallies.</summary>
public sealed class ChurnWindowTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static void Write(ChurnWindow window, ulong group, ulong key, DateTimeOffset at, long bytes = 100) =>
        window.Add(group, Encoding.UTF8.GetBytes($"/g{group}/"), key, Encoding.UTF8.GetBytes($"/g{group}/k{key}"), WriteKind.IdenticalRewrite, bytes, at);

    [Fact]
    public void WritesCountWhileTheirSliceIsInTheWindow_AndNotAfter()
    {
        // Ten minutes in ten slices of one minute.
        var window = new ChurnWindow(TimeSpan.FromMinutes(10), slices: 10, capacity: 100);
        Write(window, 1, 1, Start);
        Write(window, 1, 2, Start.AddMinutes(5));

        var (groups, _, history) = window.Groups(Start.AddMinutes(9));
        Assert.Equal(2, Assert.Single(groups).Writes);
        Assert.Equal(200, history);

        // Ten minutes after the first write its slice has left the window; the second still counts.
        (groups, _, history) = window.Groups(Start.AddMinutes(10));
        Assert.Equal(1, Assert.Single(groups).Writes);
        Assert.Equal(100, history);
        Assert.Empty(window.Groups(Start.AddMinutes(16)).Groups);
    }

    [Fact]
    public void AWriteOlderThanTheSliceNowInItsPlace_IsOutsideTheWindow()
    {
        var window = new ChurnWindow(TimeSpan.FromMinutes(10), slices: 10, capacity: 100);
        Write(window, 1, 1, Start.AddMinutes(12));

        // Two minutes falls in the same place of the ring as twelve, and is older: not counted.
        Assert.Null(window.Add(1, "/g1/"u8, 2, "/g1/k2"u8, WriteKind.IdenticalRewrite, 100, Start.AddMinutes(2)));
        Assert.Equal(1, Assert.Single(window.Groups(Start.AddMinutes(12)).Groups).Writes);
    }

    [Fact]
    public void PastItsCapacity_ASliceKeepsTheHeaviestGroups_AndSaysHowFarOffItsCountsMayBe()
    {
        var window = new ChurnWindow(TimeSpan.FromMinutes(10), slices: 1, capacity: 2);
        for (var i = 0; i < 50; i++)
        {
            Write(window, 1, 1, Start);
        }
        for (ulong group = 2; group < 12; group++)
        {
            Write(window, group, group * 1000, Start);
        }

        var (groups, error, _) = window.Groups(Start);
        Assert.Equal(2, groups.Count);
        Assert.Contains(groups, g => g.Name.Contains("g1", StringComparison.Ordinal) && g.Writes == 50);
        Assert.True(error > 0, "evicting groups must widen the error bound");
        var top = window.TopKeys(Start, 1);
        Assert.Equal(("/g1/k1", 50L), Assert.Single(top));
    }
}
