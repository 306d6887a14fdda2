using EtcdHygiene.Core.Analysis;

namespace EtcdHygiene.Core.Tests.Analysis;

public sealed class SpaceSavingTests
{
    [Fact]
    public void Estimates_StayWithinTheErrorBound_AndEveryHeavyHitterIsHeld()
    {
        // A skewed stream: item i appears about 10000/(i+1) times (Zipf), 2000 distinct items, 50 counters.
        var random = new Random(42);
        var truth = new Dictionary<int, long>();
        var sketch = new SpaceSaving<int>(50);
        var stream = Enumerable.Range(0, 2000).SelectMany(i => Enumerable.Repeat(i, 10000 / (i + 1))).OrderBy(_ => random.Next()).ToList();
        foreach (var item in stream)
        {
            sketch.Add(item);
            truth[item] = truth.GetValueOrDefault(item) + 1;
        }

        Assert.Equal(stream.Count, sketch.Total);
        var bound = sketch.ErrorBound;
        foreach (var (item, count, error) in sketch.Top(50))
        {
            Assert.InRange(count, truth[item], truth[item] + bound);
            Assert.True(count - error <= truth[item], $"item {item}: {count} - {error} > {truth[item]}");
        }
        foreach (var (item, count) in truth.Where(t => t.Value > bound))
        {
            Assert.True(sketch.Estimate(item) >= count, $"heavy hitter {item} ({count} > {bound}) was dropped");
        }
        Assert.Equal([0, 1, 2], sketch.Top(3).Select(t => t.Item));
    }

    [Fact]
    public void BelowCapacity_CountsAreExact()
    {
        var sketch = new SpaceSaving<string>(10);
        foreach (var key in new[] { "a", "b", "a", "c", "a", "b" })
        {
            sketch.Add(key);
        }

        Assert.Equal([("a", 3L, 0L), ("b", 2L, 0L), ("c", 1L, 0L)], sketch.Top(5));
    }
}
