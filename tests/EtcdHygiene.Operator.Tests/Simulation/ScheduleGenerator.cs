using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Core.Tenancy;

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

    /// <summary>The namespace the tenancy rules let name the simulated cluster.</summary>
    public const string Namespace = "explorer";

    /// <summary>The simulated cluster's address, as policies name it.</summary>
    public const string Endpoint = "http://simulated:2379";

    /// <summary>
    /// The administrator's rules in every world: namespace <see cref="Namespace"/> may name the
    /// simulated cluster, with the default limits (the shortest retention 5 minutes).
    /// </summary>
    public static readonly TenancyRules Tenancy = new()
    {
        Rules = [new TenantRule { Namespaces = [Namespace], Endpoints = [EndpointPattern.Parse("simulated:2379")], Path = "rules[0]" }],
        Source = "the explorer's tenancy rules",
    };

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
            .Select(p => (IReadOnlyList<PolicyDocument>)Enumerable.Range(0, Pick(random, 1, 1, 2)).Select(i => PolicyFor(random, $"p{p}-policy{i}")).ToList())
            .ToList();

        // One world in ten runs a version etcd's advisory names: a member that crashes while it
        // defragments loses acknowledged writes (before 3.4.22, and 3.5.0 to 3.5.5).
        var (version, affected) = random.NextDouble() < 0.1 ? Pick(random, ("3.4.20", true), ("3.5.4", true)) : Pick(random, ("3.4.23", false), ("3.5.30", false));
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
        if (random.NextDouble() < 0.3)
        {
            events.Add(new WorldEvent(Time(random, horizon), WorldEventKind.CrashWhileDefragmenting, Count: random.Next(5, 300)));
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
            Version = version,
            DefragCrashLosesWrites = affected,
            Processes = processes,
            Horizon = horizon,
            Events = events.OrderBy(e => e.At).ToList(),
        };
    }

    private static PolicyDocument PolicyFor(Random random, string name)
    {
        // The defaults, as a policy naming only its endpoints (and its credentials) gets them.
        var spec = new RegistryPolicySpec
        {
            Etcd = new EtcdSpec { Endpoints = [Endpoint], CredentialsSecretRef = new SecretReference { Name = "etcd-credentials" } },
        };
        // One in twenty is written wrong: invalid (to be refused by field) or outside the tenancy rules.
        if (random.Next(20) == 0)
        {
            switch (random.Next(6))
            {
                case 0:
                    spec.Compaction = new CompactionSpec { Retention = "-5m" };
                    return new(Namespace, name, spec, "invalid retention -5m", InvalidField: "spec.compaction.retention");
                case 1:
                    spec.Alarms = new AlarmsSpec { DisarmBelowQuotaRatio = 1.5 };
                    return new(Namespace, name, spec, "invalid disarmBelowQuotaRatio 1.5", InvalidField: "spec.alarms.disarmBelowQuotaRatio");
                case 2:
                    spec.Defragmentation = new DefragmentationSpec { PauseBetweenMembers = "soon" };
                    return new(Namespace, name, spec, "invalid pauseBetweenMembers soon", InvalidField: "spec.defragmentation.pauseBetweenMembers");
                case 3:
                    spec.Compaction = new CompactionSpec { Retention = "2m" };
                    return new(Namespace, name, spec, "retention 2m, below the tenancy's 5m", OutsideTenancy: true);
                case 4:
                    spec.Etcd.Endpoints = ["http://elsewhere:2379"];
                    return new(Namespace, name, spec, "endpoint elsewhere:2379, not the tenancy's", OutsideTenancy: true);
                default:
                    return new("other-team", name, spec, "namespace other-team, which no tenancy rule covers", OutsideTenancy: true);
            }
        }
        // One change in two policies at most: the defaults are what most users run.
        string change;
        switch (random.Next(16))
        {
            case 0: spec.DryRun = true; change = "dry run"; break;
            case 1: spec.Defragmentation = new DefragmentationSpec { MoveLeader = true }; change = "moveLeader"; break;
            case 2: spec.Defragmentation = new DefragmentationSpec { PauseBetweenMembers = "0s" }; change = "pause 0s"; break;
            case 3: spec.Defragmentation = new DefragmentationSpec { PauseBetweenMembers = "2m" }; change = "pause 2m"; break;
            case 4: spec.Compaction = new CompactionSpec { Retention = "10m" }; change = "retention 10m"; break;
            case 5: spec.Compaction = new CompactionSpec { Mode = "Revision" }; change = "Revision mode"; break;
            case 6: spec.Alarms = new AlarmsSpec { EmergencyCompaction = "RetentionOnly" }; change = "emergency RetentionOnly"; break;
            case 7: spec.Alarms = new AlarmsSpec { DisarmNoSpace = false }; change = "no disarm"; break;
            case 8:
                spec.Defragmentation = new DefragmentationSpec { Rule = new DefragRuleSpec { MinDbSizeBytes = "8Mi", MinReclaimableBytes = "4Mi" } };
                change = "defragment from 8Mi";
                break;
            case 9: spec.Defragmentation = new DefragmentationSpec { AllowUnsafeEtcdVersions = true }; change = "allowUnsafeEtcdVersions"; break;
            default: change = "defaults"; break;
        }
        return new(Namespace, name, spec, change);
    }

    private static TimeSpan Time(Random random, TimeSpan horizon) => TimeSpan.FromSeconds(random.Next(1, (int)horizon.TotalSeconds));

    private static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];
}
