using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// Makes a schedule from a seed. Most policies keep the defaults (the product most users run);
/// some change one setting a user may change. The registry writes at a rate that, over the
/// horizon, writes from a third of the quota to ten times it; faults, kills and clock steps come
/// at random times.
/// </summary>
public static class ScheduleGenerator
{
    private const long MiB = 1024 * 1024;

    /// <summary>The defaults, as a policy naming only its endpoints gets them.</summary>
    private static readonly HygienePolicy Defaults = PolicyFile.Parse("""
        apiVersion: etcdhygiene.io/v1alpha1
        kind: RegistryPolicy
        metadata: { name: registry }
        spec:
          etcd: { endpoints: ["http://simulated:2379"] }
        """, "explorer");

    /// <summary>The schedule of <paramref name="seed"/>.</summary>
    public static Schedule Make(int seed)
    {
        var random = new Random(seed);
        // Most worlds are short (the explorer's budget is 10,000 in a minute); about one in seven
        // lives past the default retention of an hour, so that routine compactions are judged too.
        var horizon = TimeSpan.FromMinutes(random.NextDouble() < 0.15 ? random.Next(65, 120) : random.Next(15, 30));
        var members = Pick(random, 3, 3, 3, 1, 5);
        var quota = Pick(random, 64 * MiB, 256 * MiB, 2048 * MiB);
        var processes = Enumerable.Range(0, Pick(random, 1, 1, 2))
            .Select(p => (IReadOnlyList<HygienePolicy>)Enumerable.Range(0, Pick(random, 1, 1, 2)).Select(i => PolicyFor(random, $"p{p}-policy{i}")).ToList())
            .ToList();

        var events = new List<WorldEvent>();
        // The registry: a burst every 30 s, so that the whole horizon writes this share of the quota.
        var share = Pick(random, 0.3, 1.0, 3.0, 10.0);
        var bytes = Pick(random, 512L, 4096L, 65536L);
        var bursts = (int)(horizon.TotalSeconds / 30);
        var perBurst = Math.Max(1, (long)(share * quota / bursts / bytes));
        for (var i = 1; i <= bursts; i++)
        {
            events.Add(new WorldEvent(TimeSpan.FromSeconds(30 * i), WorldEventKind.Write, Count: perBurst, Bytes: bytes));
        }
        for (var i = random.Next(0, 5); i > 0; i--)
        {
            var at = Time(random, horizon);
            var member = random.Next(members);
            var kind = Pick(random, WorldEventKind.StopMember, WorldEventKind.HangMember);
            events.Add(new WorldEvent(at, kind, member));
            events.Add(new WorldEvent(at + TimeSpan.FromSeconds(random.Next(1, 900)), WorldEventKind.StartMember, member));
        }
        if (random.NextDouble() < 0.3)
        {
            events.Add(new WorldEvent(Time(random, horizon), WorldEventKind.Reelect));
        }
        if (random.NextDouble() < 0.05)
        {
            events.Add(new WorldEvent(Time(random, horizon), WorldEventKind.RaiseCorrupt, random.Next(members)));
        }
        if (random.NextDouble() < 0.1)
        {
            events.Add(new WorldEvent(Time(random, horizon), WorldEventKind.AddLearner));
        }
        if (random.NextDouble() < 0.05)
        {
            events.Add(new WorldEvent(Time(random, horizon), WorldEventKind.Recreate));
        }
        for (var i = random.NextDouble() < 0.2 ? random.Next(1, 3) : 0; i > 0; i--)
        {
            events.Add(new WorldEvent(Time(random, horizon), WorldEventKind.ClockJump, Count: Pick(random, -3600, -300, -30, 30, 300, 3600)));
        }
        for (var i = random.NextDouble() < 0.3 ? random.Next(1, 3) : 0; i > 0; i--)
        {
            var at = Time(random, horizon);
            var process = random.Next(processes.Count);
            events.Add(new WorldEvent(at, WorldEventKind.KillProcess, process));
            events.Add(new WorldEvent(at + TimeSpan.FromSeconds(random.Next(0, 120)), WorldEventKind.RestartProcess, process));
        }
        return new Schedule
        {
            Seed = seed,
            Members = members,
            QuotaBytes = quota,
            Version = Pick(random, "3.4.23", "3.5.30"),
            Processes = processes,
            Horizon = horizon,
            Events = events.OrderBy(e => e.At).ToList(),
        };
    }

    private static HygienePolicy PolicyFor(Random random, string name)
    {
        var policy = Defaults with { Key = new PolicyKey("explorer", name) };
        // One change in two policies at most: the defaults are what most users run.
        return random.Next(16) switch
        {
            0 => policy with { DryRun = true },
            1 => policy with { Defragmentation = policy.Defragmentation with { MoveLeader = true } },
            2 => policy with { Defragmentation = policy.Defragmentation with { PauseBetweenMembers = TimeSpan.Zero } },
            3 => policy with { Defragmentation = policy.Defragmentation with { PauseBetweenMembers = TimeSpan.FromMinutes(2) } },
            4 => policy with { Compaction = policy.Compaction with { Retention = TimeSpan.FromMinutes(10) } },
            5 => policy with { Compaction = policy.Compaction with { Mode = CompactionMode.Revision } },
            6 => policy with { Alarms = policy.Alarms with { EmergencyCompaction = EmergencyCompaction.RetentionOnly } },
            7 => policy with { Alarms = policy.Alarms with { DisarmNoSpace = false } },
            8 => policy with { Defragmentation = policy.Defragmentation with { MinDbSizeBytes = 8 * MiB, MinReclaimableBytes = 4 * MiB } },
            _ => policy,
        };
    }

    private static TimeSpan Time(Random random, TimeSpan horizon) => TimeSpan.FromSeconds(random.Next(1, (int)horizon.TotalSeconds));

    private static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];
}
