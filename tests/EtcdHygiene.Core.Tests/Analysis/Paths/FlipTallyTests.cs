using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Analysis.Paths;

namespace EtcdHygiene.Core.Tests.Analysis.Paths;

/// <summary>The tally of flipping paths, directly: counts, its cap, slices added together, the order told.</summary>
public sealed class FlipTallyTests
{
    private static JsonFlip Reordered(string path) => new(path, FlipKind.Reordered, "[1,2]", "[2,1]");

    [Fact]
    public void EachWriteCountsAPathOnce_AndExaminedWritesAreCountedByKind()
    {
        var tally = new FlipTally();
        tally.Add(WriteKind.ReorderOnlyRewrite, [Reordered("$.a"), Reordered("$.a"), Reordered("$.b")]);
        tally.Add(WriteKind.ReorderOnlyRewrite, [Reordered("$.a")]);
        tally.Add(WriteKind.Changed, [new JsonFlip("$.c", FlipKind.Changed, "1", "2")]);

        var top = tally.Top(10);
        Assert.Equal(["$.a", "$.b", "$.c"], top.Select(p => p.Path));
        Assert.Equal([2L, 1L, 1L], top.Select(p => p.Writes));
        // A path's share is counted against the writes of its kind.
        Assert.Equal([2L, 2L, 1L], top.Select(p => p.Examined));
    }

    [Fact]
    public void PathsMetAfterEightAreNotCounted_ButThoseAlreadyCountedStillAre()
    {
        var tally = new FlipTally();
        for (var i = 0; i < 12; i++)
        {
            tally.Add(WriteKind.ReorderOnlyRewrite, [Reordered($"$.p{i:00}")]);
        }
        tally.Add(WriteKind.ReorderOnlyRewrite, [Reordered("$.p00")]);

        var top = tally.Top(20);
        Assert.Equal(FlipTally.MaxPaths, top.Count);
        Assert.DoesNotContain(top, p => p.Path == "$.p08");
        Assert.Equal(2, top[0].Writes);
        Assert.Equal("$.p00", top[0].Path);
    }

    [Fact]
    public void SlicesAddUp_AndTiesAreToldInPathOrder()
    {
        var first = new FlipTally();
        first.Add(WriteKind.ReorderOnlyRewrite, [Reordered("$.z")]);
        var second = new FlipTally();
        second.Add(WriteKind.ReorderOnlyRewrite, [Reordered("$.y")]);
        second.Add(WriteKind.ReorderOnlyRewrite, [Reordered("$.z")]);

        first.Add(second);

        Assert.Equal(3, first.ReorderedExamined);
        Assert.Equal([("$.z", 2L), ("$.y", 1L)], first.Top(5).Select(p => (p.Path, p.Writes)));
        var tie = new FlipTally();
        tie.Add(WriteKind.ReorderOnlyRewrite, [Reordered("$.b"), Reordered("$.a")]);
        Assert.Equal(["$.a", "$.b"], tie.Top(5).Select(p => p.Path));
    }
}
