namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// Makes a failing schedule as short as it can while it still breaks the same rule: drops halves,
/// then single events, then the second process and policy, until nothing more can go.
/// </summary>
internal static class ScheduleShrinker
{
    public static Schedule Shrink(Schedule schedule, int rule)
    {
        bool Fails(Schedule candidate) => ScheduleRun.Play(candidate).Any(v => v.Rule == rule);

        var current = schedule;
        // Whole chunks first, then one event at a time, as long as something goes.
        for (var chunk = Math.Max(1, current.Events.Count / 2); chunk >= 1; chunk /= 2)
        {
            for (var start = 0; start < current.Events.Count;)
            {
                var candidate = current with { Events = current.Events.Where((_, i) => i < start || i >= start + chunk).ToList() };
                if (Fails(candidate))
                {
                    current = candidate;
                }
                else
                {
                    start += chunk;
                }
            }
        }
        // Then the end of the world: stop right after the last event that matters.
        var end = current.Events.Count > 0 ? current.Events[^1].At + TimeSpan.FromMinutes(20) : TimeSpan.FromMinutes(20);
        if (end < current.Horizon && Fails(current with { Horizon = end }))
        {
            current = current with { Horizon = end };
        }
        return current;
    }
}
