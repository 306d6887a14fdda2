using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Planning;

namespace EtcdHygiene.Core.Tests.Analysis;

public sealed class ForecastAndClockTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SteadyGrowth_ReachesTheQuotaWhenTheLineSays()
    {
        var forecast = new GrowthForecast();
        for (var minute = 0; minute <= 30; minute++)
        {
            forecast.Add(T0.AddMinutes(minute), 100_000_000 + minute * 1_000_000L);
        }

        var prediction = forecast.Predict(quotaBytes: 190_000_000)!;

        Assert.Equal(60_000_000, prediction.BytesPerHour, 1);
        Assert.Equal(T0.AddMinutes(90), prediction.QuotaReachedAt!.Value, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void ADefragmentation_StartsANewLine_AndFlatOrShortHistoryGivesNoDate()
    {
        var forecast = new GrowthForecast();
        forecast.Add(T0, 100);
        Assert.Null(forecast.Predict(1000));
        forecast.Add(T0.AddMinutes(5), 500);
        forecast.Add(T0.AddMinutes(6), 200);
        Assert.Null(forecast.Predict(1000));
        forecast.Add(T0.AddMinutes(8), 200);

        var flat = forecast.Predict(1000)!;
        Assert.Equal(0, flat.BytesPerHour, 6);
        Assert.Null(flat.QuotaReachedAt);
    }

    [Fact]
    public void RevisionClock_InterpolatesAndExtrapolates_OrSaysItCannot()
    {
        Assert.Null(new RevisionClock([new RevisionSample(T0, 1000)]).TimeOf(500));

        var clock = new RevisionClock([new RevisionSample(T0.AddMinutes(10), 2000), new RevisionSample(T0, 1000)]);
        Assert.Equal(T0.AddMinutes(5), clock.TimeOf(1500));
        Assert.Equal(T0.AddMinutes(-5), clock.TimeOf(500));
        Assert.Equal(T0.AddMinutes(20), clock.TimeOf(3000));
    }
}
