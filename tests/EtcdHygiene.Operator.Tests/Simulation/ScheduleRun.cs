using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Core.Tenancy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Metrics;
using EtcdHygiene.Operator.Supervision;
using EtcdHygiene.Testing.Simulation;
using Prometheus;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// Plays one schedule: the simulated cluster on a simulated clock, the processes with their
/// policies started at once, the events at their times, until the horizon; then judges the
/// cluster's record (<see cref="SafetyInvariants"/>) and the runtime's own conduct (no crash, a
/// cycle at least every so often, a NOSPACE answered).
/// </summary>
internal static class ScheduleRun
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly EtcdClientPool Pool = new();

    // One per thread: the metrics are written, never read back by the runtime, and a registry per
    // schedule would cost more than the schedule itself.
    private static readonly ThreadLocal<(CollectorRegistry Registry, HygieneMetrics Metrics)> Metrics = new(() =>
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        return (registry, new HygieneMetrics(registry));
    });

    /// <summary>
    /// The violations of the schedule, earliest first; empty when it kept every rule. With
    /// <paramref name="trace"/>, what each cycle did and said, for a replay.
    /// </summary>
    public static List<Violation> Play(Schedule schedule, List<string>? trace = null)
    {
        var clock = new SimulationClock(Start);
        var loop = new SimulationLoop(clock);
        var cluster = new SimulatedEtcdCluster(new SimulatedClusterOptions
        {
            Members = schedule.Members,
            QuotaBackendBytes = schedule.QuotaBytes,
            Version = schedule.Version,
            DefragCrashLosesWrites = schedule.DefragCrashLosesWrites,
        }, clock);
        TimeSpan? crashArmed = null; // the restart delay of a crash waiting for the next defragmentation
        cluster.DefragmentationStarted = (member, took) =>
        {
            if (crashArmed is { } back)
            {
                crashArmed = null;
                _ = CrashAsync(member, took / 2, back);
            }
        };

        async Task CrashAsync(ulong member, TimeSpan after, TimeSpan back)
        {
            await Task.Delay(after, clock);
            trace?.Add($"{clock.Elapsed:hh\\:mm\\:ss\\.fff} world: {member:x} crashes while defragmenting");
            cluster.Stop(member);
            await Task.Delay(back, clock);
            cluster.Start(member);
        }
        var disks = schedule.Processes.SelectMany(p => p).ToDictionary(p => p.Key, _ => new Disk());
        var policies = new Dictionary<string, HygienePolicy>();
        var documents = new Dictionary<string, PolicyDocument>();
        var connected = new HashSet<string>();
        var cycles = new Dictionary<string, List<CycleSpan>>();
        var lives = new List<(SimulatedProcess Process, TimeSpan From, TimeSpan? To)>();
        var processes = new SimulatedProcess?[schedule.Processes.Count];
        var incarnations = new int[schedule.Processes.Count];
        var violations = new List<Violation>();
        var secrets = new SecretWatch(SecretWatch.Password);

        SimulatedProcess StartProcess(int index)
        {
            var name = $"p{index}#{++incarnations[index]}";
            var admitted = new List<HygienePolicy>();
            foreach (var document in schedule.Processes[index])
            {
                var actor = SimulatedProcess.ActorOf(name, document.Name);
                documents[actor] = document;
                var admission = PolicyAdmission.Decide(document.Manifest(), ScheduleGenerator.Tenancy);
                violations.AddRange(AdmissionInvariants.Check(actor, document, admission, clock.Elapsed));
                foreach (var text in admission.Problems.Append(admission.Refusal))
                {
                    secrets.Search($"{actor}'s refusal", text);
                }
                if (document.MustBeRefused && admission.Policy is null)
                {
                    ExplorerTally.Refused(document);
                }
                if (admission.Policy is { } policy)
                {
                    policies[actor] = policy;
                    admitted.Add(policy);
                }
            }
            var process = new SimulatedProcess(name, cluster, clock, Metrics.Value.Metrics, Pool, secrets, admitted, disks,
                (actor, cycle) =>
                {
                    // The cycle's start on the monotonic clock: its wall start less the wall clock's steps so far.
                    var stepped = clock.GetUtcNow() - Start - clock.Elapsed;
                    var span = new CycleSpan(cycle.Result.StartedAt - Start - stepped, clock.Elapsed,
                        cycle.Result.Initial.Alarms.Any(a => a.Alarm == AlarmKind.NoSpace));
                    (cycles.TryGetValue(actor, out var list) ? list : cycles[actor] = []).Add(span);
                    SearchForSecrets(secrets, actor, cycle);
                    trace?.Add(Traced(clock.Elapsed, actor, cycle));
                },
                actor => connected.Add(actor));
            lives.Add((process, clock.Elapsed, null));
            return processes[index] = process;
        }

        void Kill(int index)
        {
            if (processes[index] is { Killed: false } process)
            {
                process.Kill();
                var i = lives.FindIndex(l => l.Process == process);
                lives[i] = lives[i] with { To = clock.Elapsed };
            }
        }

        try
        {
            loop.Run(async () =>
            {
                for (var i = 0; i < processes.Length; i++)
                {
                    StartProcess(i);
                }
                foreach (var e in schedule.Events)
                {
                    if (e.At > clock.Elapsed)
                    {
                        await Task.Delay(e.At - clock.Elapsed, clock);
                    }
                    Apply(e);
                }
                if (schedule.Horizon > clock.Elapsed)
                {
                    await Task.Delay(schedule.Horizon - clock.Elapsed, clock);
                }
                for (var i = 0; i < processes.Length; i++)
                {
                    Kill(i);
                }
            }, schedule.Horizon + TimeSpan.FromHours(1));
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            violations.Add(new Violation(0, clock.Elapsed, $"the simulation could not go on: {e.Message}"));
        }

        var ends = cycles.ToDictionary(c => c.Key, c => c.Value.Select(span => span.End).ToList());
        violations.AddRange(SafetyInvariants.Check(cluster, policies, documents, clock.JumpedForward, Written, ends));
        violations.AddRange(AdmissionInvariants.Unreached(documents, connected, clock.Elapsed));
        violations.AddRange(LivenessInvariants.Check(schedule, cluster, policies, cycles,
            lives.Select(l => new ProcessLife(l.Process.Name, l.From, l.To ?? clock.Elapsed)).ToList()));
        violations.AddRange(LeaderLastInvariant.Check(cluster, policies, ends));
        violations.AddRange(DataLossInvariant.Check(cluster, policies));
        // Rule 6 in the metrics too: what a scrape of this thread's registry would serve.
        var scrape = new MemoryStream();
        Metrics.Value.Registry.CollectAndExportAsTextAsync(scrape).GetAwaiter().GetResult();
        secrets.Search("metrics", System.Text.Encoding.UTF8.GetString(scrape.ToArray()));
        ExplorerTally.LogLines(secrets.Lines);
        violations.AddRange(secrets.Leaks.Select(leak => new Violation(6, clock.Elapsed, $"the etcd password appears in {leak}")));
        foreach (var (process, from, to) in lives)
        {
            foreach (var crash in process.Runners.Where(r => r.IsFaulted && r.Exception!.InnerException is not ProcessKilledException))
            {
                violations.Add(new Violation(0, to ?? clock.Elapsed, $"{process.Name}'s runner crashed: {crash.Exception!.InnerException}"));
            }
        }
        return violations.OrderBy(v => v.At).ToList();

        // What the registry writes between two times (new keys and rewrites, with etcd's per-key cost).
        long Written(TimeSpan from, TimeSpan to) =>
            schedule.Events.Where(e => e.Kind == WorldEventKind.Write && e.At > from && e.At <= to).Sum(e => (e.Count + e.Count / 100) * (e.Bytes + 64));

        void Apply(WorldEvent e)
        {
            if (e.Kind != WorldEventKind.Write)
            {
                trace?.Add($"{clock.Elapsed:hh\\:mm\\:ss\\.fff} world: {e}");
            }
            var members = cluster.Members;
            var member = members[Math.Min(e.Target, members.Count - 1)].Id;
            switch (e.Kind)
            {
                case WorldEventKind.Write:
                    cluster.Write((int)(e.Count / 100), (int)e.Count, e.Bytes);
                    break;
                case WorldEventKind.StopMember:
                    cluster.Stop(member);
                    break;
                case WorldEventKind.HangMember:
                    cluster.Hang(member);
                    break;
                case WorldEventKind.StartMember:
                    cluster.Start(member);
                    break;
                case WorldEventKind.Reelect:
                    cluster.Reelect();
                    break;
                case WorldEventKind.RaiseCorrupt:
                    cluster.RaiseCorrupt(member);
                    break;
                case WorldEventKind.AddLearner:
                    cluster.AddLearner();
                    break;
                case WorldEventKind.Recreate:
                    cluster.Recreate();
                    break;
                case WorldEventKind.ClockJump:
                    clock.Jump(TimeSpan.FromSeconds(e.Count));
                    break;
                case WorldEventKind.KillProcess:
                    Kill(e.Target);
                    break;
                case WorldEventKind.CrashWhileDefragmenting:
                    crashArmed = TimeSpan.FromSeconds(e.Count);
                    break;
                case WorldEventKind.RestartProcess:
                    if (processes[e.Target] is { Killed: true })
                    {
                        StartProcess(e.Target);
                    }
                    break;
            }
        }
    }

    /// <summary>What a cycle hands to status and events (steps, their errors, notes), searched for the password.</summary>
    private static void SearchForSecrets(SecretWatch secrets, string actor, SupervisedCycle cycle)
    {
        foreach (var step in cycle.Result.Steps)
        {
            secrets.Search($"{actor}'s step", $"{step.Step.Title}: {step.Step.Reason} {step.Error}");
        }
        foreach (var note in cycle.Result.Notes)
        {
            secrets.Search($"{actor}'s note {note.Code}", note.Message);
        }
    }

    private static string Traced(TimeSpan at, string actor, SupervisedCycle cycle)
    {
        var result = cycle.Result;
        var sizes = string.Join(", ", result.Initial.Members.Select(m => m.Status is { } s ? $"{m.Name} {s.DbSizeBytes / 1024 / 1024}/{s.DbSizeInUseBytes / 1024 / 1024} MiB" : $"{m.Name} -"));
        var steps = result.Steps.Select(s => $"    {s.Step.Title} {s.Result}{(s.Error is null ? "" : $" ({s.Error})")}: {s.Step.Reason}");
        var notes = result.Notes.Select(n => $"    note {n.Code}: {n.Message}");
        return $"{at:hh\\:mm\\:ss\\.fff} {actor}: cycle from {result.StartedAt:HH:mm:ss} saw [{sizes}], revision {result.Initial.Revision}, alarms [{string.Join(",", result.Initial.Alarms.Select(a => a.Alarm))}]; next in {cycle.NextCycleIn}\n" +
               string.Join("\n", steps.Concat(notes));
    }
}
