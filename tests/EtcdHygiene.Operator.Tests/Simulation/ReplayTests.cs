namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>A seed is a schedule: played twice, it does the same, cycle by cycle.</summary>
public sealed class ReplayTests
{
    [Fact]
    [Trait("Category", "Explorer")]
    public void EverySchedule_PlaysTheSameTwice()
    {
        var first = int.TryParse(Environment.GetEnvironmentVariable("EXPLORER_FIRST_SEED"), out var f) ? f : 1;
        var count = int.TryParse(Environment.GetEnvironmentVariable("EXPLORER_SCHEDULES"), out var n) ? n : 200;
        for (var seed = first; seed < first + count; seed++)
        {
            var once = new List<string>();
            var twice = new List<string>();
            ScheduleRun.Play(ScheduleGenerator.Make(seed), once);
            ScheduleRun.Play(ScheduleGenerator.Make(seed), twice);
            var diverged = once.Zip(twice).Select((p, i) => (p, i)).FirstOrDefault(x => x.p.First != x.p.Second);
            Assert.True(once.SequenceEqual(twice), $"seed {seed} played differently from line {diverged.i}:\n{diverged.p.First}\n---\n{diverged.p.Second}");
        }
    }
}
