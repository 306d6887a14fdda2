using System.Diagnostics;
using Xunit.Abstractions;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// The schedule explorer: seeded random worlds played through the real runtime over a simulated
/// cluster, every safety rule checked from the cluster's side. EXPLORER_SCHEDULES sets how many
/// (10,000 by default), EXPLORER_FIRST_SEED where they start, EXPLORER_SEED replays one (with the
/// whole story of its shortest failing schedule), EXPLORER_THREADS how many run side by side.
///
/// scripts/test.sh runs it as a step of its own (Category Explorer). A run of 1,000 schedules or
/// more also requires every invariant to have judged something (<see cref="ExplorerTally"/>).
/// </summary>
public sealed class ScheduleExplorerTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Explorer")]
    public void EverySchedule_KeepsEverySafetyRule()
    {
        var replay = Environment.GetEnvironmentVariable("EXPLORER_SEED");
        var first = int.TryParse(Environment.GetEnvironmentVariable("EXPLORER_FIRST_SEED"), out var f) ? f : 1;
        var count = replay is not null ? 1 : int.TryParse(Environment.GetEnvironmentVariable("EXPLORER_SCHEDULES"), out var n) ? n : 10_000;
        var seeds = replay is not null ? [int.Parse(replay)] : Enumerable.Range(first, count).ToArray();

        var clock = Stopwatch.StartNew();
        var failures = new System.Collections.Concurrent.ConcurrentBag<(int Seed, List<Violation> Violations)>();
        Parallel.ForEach(seeds, new ParallelOptions { MaxDegreeOfParallelism = int.TryParse(Environment.GetEnvironmentVariable("EXPLORER_THREADS"), out var t) ? t : Environment.ProcessorCount }, seed =>
        {
            var violations = ScheduleRun.Play(ScheduleGenerator.Make(seed));
            if (violations.Count > 0)
            {
                failures.Add((seed, violations));
            }
        });
        output.WriteLine($"{seeds.Length} schedules in {clock.Elapsed.TotalSeconds:0.0}s");
        var tally = ExplorerTally.Take();
        output.WriteLine(string.Join("\n", tally.Select(t => $"  {t.Key}: {t.Value}")));
        if (failures.IsEmpty)
        {
            // Each invariant judged something: a world that never reaches it proves nothing.
            Assert.True(replay is not null || seeds.Length < 1000 || tally.Values.All(v => v > 0), $"an invariant judged nothing in {seeds.Length} schedules");
            return;
        }
        var (failedSeed, found) = failures.OrderBy(x => x.Seed).First();
        var shortest = ScheduleShrinker.Shrink(ScheduleGenerator.Make(failedSeed), found[0].Rule);
        if (replay is not null)
        {
            // A replay tells the whole story of the shortest schedule.
            var trace = new List<string>();
            ScheduleRun.Play(shortest, trace);
            output.WriteLine(string.Join("\n", trace));
        }
        var again = ScheduleRun.Play(shortest);
        Assert.Fail($"{failures.Count} of {seeds.Length} schedules broke a rule. The first, seed {failedSeed}: {found[0]}\n" +
                    $"shortest schedule that still breaks rule {found[0].Rule}:\n{shortest}\n{string.Join("\n", shortest.Events.Where(e => e.Kind == WorldEventKind.Write).Take(10).Select(e => $"  {e}"))}\n{string.Join("\n", again.Take(3))}\n" +
                    $"replay: EXPLORER_SEED={failedSeed} dotnet test --filter {nameof(ScheduleExplorerTests)}\n" +
                    $"other seeds: {string.Join(", ", failures.OrderBy(x => x.Seed).Skip(1).Take(20).Select(x => $"{x.Seed} (rule {x.Violations[0].Rule})"))}");
    }
}
