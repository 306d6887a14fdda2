using EtcdHygiene.Core.Planning;
using EtcdHygiene.Operator.Controller;

namespace EtcdHygiene.Operator.Tests.Controller;

public sealed class StatusBuilderTests
{
    [Fact]
    public void RevisionSamples_SurviveStatusWithoutLosingPrecision()
    {
        var at = new DateTimeOffset(2026, 11, 25, 12, 0, 0, 900, TimeSpan.Zero);
        var status = new Core.Policy.RegistryPolicyStatus
        {
            RevisionSamples = [new() { Time = at.UtcDateTime.ToString("o"), Revision = 42 }],
        };

        var state = StatusBuilder.StateFrom(status);

        // Rounding down to 12:00:00 would make the sample look older and let compaction
        // drop history that is still inside the retention window.
        Assert.Equal([new RevisionSample(at, 42)], state.Samples);
    }

    [Fact]
    public void Conditions_KeepTheirTransitionTime_UntilTheyFlip()
    {
        var conditions = new List<Core.Policy.PolicyCondition>();
        var t0 = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

        Conditions.Set(conditions, Conditions.Ready, true, "CycleSucceeded", "a", 1, t0);
        Conditions.Set(conditions, Conditions.Ready, true, "CycleSucceeded", "b", 2, t0.AddMinutes(5));
        var unchanged = conditions.Single().LastTransitionTime;
        Conditions.Set(conditions, Conditions.Ready, false, "NoSpaceAlarm", "c", 2, t0.AddMinutes(9));

        Assert.Equal("2026-11-25T12:00:00Z", unchanged);
        var flipped = Assert.Single(conditions);
        Assert.Equal(("False", "NoSpaceAlarm", "2026-11-25T12:09:00Z", 2L), (flipped.Status, flipped.Reason, flipped.LastTransitionTime, flipped.ObservedGeneration!.Value));
    }
}
