using System.Text;
using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Analysis.Paths;

namespace EtcdHygiene.Core.Tests.Analysis.Paths;

/// <summary>The sampler's caps and choices, directly: which groups, which keys, how many bytes, which writes are compared.</summary>
public sealed class FlipSamplerTests
{
    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void TheFirstGroupsSeen_FillThePlaces_UntilTheFirstChoice()
    {
        var sampler = new FlipSampler(groups: 2);

        Assert.True(sampler.Samples(1));
        Assert.True(sampler.Samples(2));
        Assert.False(sampler.Samples(3));
        // Once in, a group stays in until the next choice.
        Assert.True(sampler.Samples(1));
    }

    [Fact]
    public void AReorderOnlyRewrite_IsComparedWithTheKeptValue_AndAnIdenticalOneIsNot()
    {
        var sampler = new FlipSampler(groups: 1);
        Assert.Null(sampler.Observe(1, 10, Json("""{"a":[1,2]}"""), WriteKind.Changed));

        var flips = sampler.Observe(1, 10, Json("""{"a":[2,1]}"""), WriteKind.ReorderOnlyRewrite);
        Assert.NotNull(flips);
        Assert.Contains(flips, f => f.Path.Contains('a') && f.Kind == FlipKind.Reordered);
        Assert.Null(sampler.Observe(1, 10, Json("""{"a":[2,1]}"""), WriteKind.IdenticalRewrite));
        Assert.Equal(1, sampler.Compared);
    }

    [Fact]
    public void WithoutBudget_NothingIsCompared_ButTheNewValueIsKept_ForTheNextWrite()
    {
        var sampler = new FlipSampler(groups: 1);
        sampler.Observe(1, 10, Json("""{"a":1}"""), WriteKind.Changed);

        Assert.Null(sampler.Observe(1, 10, Json("""{"a":2}"""), WriteKind.Changed, mayCompare: false));
        var flips = sampler.Observe(1, 10, Json("""{"a":3}"""), WriteKind.Changed);

        // Compared with the value kept while the budget was spent (2), not the first one (1).
        var flip = Assert.Single(flips!);
        Assert.Equal(("2", "3"), (flip.Before, flip.After));
        Assert.Equal(1, sampler.Compared);
    }

    [Fact]
    public void AGroupKeepsValuesForItsFirstEightKeysOnly()
    {
        var sampler = new FlipSampler(groups: 1);
        for (ulong key = 0; key < 20; key++)
        {
            sampler.Observe(1, key, Json("""{"v":1}"""), WriteKind.Changed);
        }

        Assert.Equal(FlipSampler.KeysPerGroup * Json("""{"v":1}""").Length, sampler.KeptBytes);
        // The ninth key has no kept value: its next write compares nothing; the first key's does.
        Assert.Null(sampler.Observe(1, 8, Json("""{"v":2}"""), WriteKind.Changed));
        Assert.NotNull(sampler.Observe(1, 0, Json("""{"v":2}"""), WriteKind.Changed));
    }

    [Fact]
    public void ValuesOverTheSizeCap_AreNeverKept_AndAKeptKeyThatGrowsPastItIsForgotten()
    {
        var sampler = new FlipSampler(groups: 1);
        var large = new byte[FlipSampler.MaxValueBytes + 1];
        Assert.Null(sampler.Observe(1, 1, large, WriteKind.Changed));
        Assert.Equal(0, sampler.KeptBytes);

        sampler.Observe(1, 2, Json("""{"v":1}"""), WriteKind.Changed);
        Assert.True(sampler.KeptBytes > 0);
        sampler.Observe(1, 2, large, WriteKind.Changed);
        Assert.Equal(0, sampler.KeptBytes);
    }

    [Fact]
    public void AllKeptValuesStayWithinFourMiB()
    {
        var sampler = new FlipSampler(groups: 64);
        var value = new byte[200 * 1024];
        // 64 groups x 8 keys x 200 KiB would be 100 MiB.
        for (ulong group = 0; group < 64; group++)
        {
            for (ulong key = 0; key < 8; key++)
            {
                sampler.Observe(group, group * 100 + key, value, WriteKind.Changed);
            }
        }

        Assert.InRange(sampler.KeptBytes, FlipSampler.MaxKeptBytes - value.Length, FlipSampler.MaxKeptBytes);
    }

    [Fact]
    public void AChoice_KeepsASampledGroupWithinTwiceThePlaces_AndDropsTheValuesOfThoseLeftOut()
    {
        var sampler = new FlipSampler(groups: 2);
        sampler.Samples(1);
        sampler.Samples(2);
        sampler.Observe(1, 11, Json("""{"v":1}"""), WriteKind.Changed);
        sampler.Observe(2, 21, Json("""{"v":1}"""), WriteKind.Changed);

        // Group 2 ranks fourth: within twice the places, so it stays; group 1 ranks fifth and goes.
        sampler.Choose([5, 6, 7, 2, 1]);

        Assert.True(sampler.Samples(2));
        Assert.True(sampler.Samples(5));
        Assert.False(sampler.Samples(6));
        Assert.False(sampler.Samples(1));
        Assert.Null(sampler.Observe(1, 11, Json("""{"v":2}"""), WriteKind.Changed));
        Assert.NotNull(sampler.Observe(2, 21, Json("""{"v":2}"""), WriteKind.Changed));
    }
}
