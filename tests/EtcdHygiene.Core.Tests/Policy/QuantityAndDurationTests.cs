using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Tests.Policy;

public sealed class QuantityAndDurationTests
{
    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("100Mi", 100L * 1024 * 1024)]
    [InlineData("2Gi", 2L * 1024 * 1024 * 1024)]
    [InlineData("1.5Gi", 3L * 512 * 1024 * 1024)]
    [InlineData("500M", 500_000_000L)]
    [InlineData("8k", 8000L)]
    [InlineData(" 16Ki ", 16384L)]
    public void Quantities(string text, long bytes)
    {
        Assert.True(Quantity.TryParseBytes(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Mi")]
    [InlineData("-1Gi")]
    [InlineData("1.5")]
    [InlineData("10MB")]
    [InlineData("100000Ei")]
    [InlineData("lots")]
    public void NotQuantities(string text) => Assert.False(Quantity.TryParseBytes(text, out _));

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("250ms", 250)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("0", 0)]
    public void Durations(string text, long milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var parsed));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("10 s")]
    [InlineData("1d")]
    [InlineData("-5m")]
    [InlineData("h")]
    public void NotDurations(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Theory]
    [InlineData(5_400_000, "1h30m")]
    [InlineData(10_000, "10s")]
    [InlineData(0, "0s")]
    [InlineData(250, "250ms")]
    public void DurationsFormatAsTheyAreWritten(long milliseconds, string text) =>
        Assert.Equal(text, GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    [InlineData(512, "512 B")]
    [InlineData(16L * 1024 * 1024, "16.0 MiB")]
    [InlineData(3L * 512 * 1024 * 1024, "1.5 GiB")]
    public void BytesFormatForPeople(long bytes, string text) => Assert.Equal(text, Quantity.FormatBytes(bytes));
}
