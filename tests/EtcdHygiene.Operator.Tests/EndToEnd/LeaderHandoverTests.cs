using System.Text.RegularExpressions;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// Two operator processes with --leader-elect against the test API server and a real 3-member
/// cluster, at the default policy (pause between members 10 s) and the default lease timings: the
/// leader gets SIGTERM in the middle of a defragmentation.
/// </summary>
[Trait("Etcd", "AnyVersion")]
public sealed partial class LeaderHandoverTests
{
    private static readonly TimeSpan DefaultPause = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ALeaderStoppedMidDefragmentation_HandsOverOnlyOnceItsStepIsDone_AndTheNextKeepsThePauseAndTheState()
    {
        await using var replicas = await ElectedReplicas.StartAsync("handover");
        var (cluster, kube, seen) = (replicas.Cluster, replicas.Kube, replicas.Seen);
        CliProcess Start(string who) => replicas.Start(who);
        DateTime When(string who, string text) => seen.First(s => s.Who == who && s.Line.Contains(text)).At;
        List<(DateTime At, string Member)> Defragmentations(string who, string verb) =>
            seen.Where(s => s.Who == who).Select(s => (s.At, Match: DefragLine().Match(s.Line)))
                .Where(s => s.Match.Success && (s.Match.Groups["verb"].Success ? "done" : "started") == verb).Select(s => (s.At, s.Match.Groups["member"].Value)).ToList();

        await using var first = Start("a");
        var hold = new DefragmentationHold(first, cluster);
        EtcdTestMember? held = null;
        try
        {
            held = await hold.HeldAsync(TimeSpan.FromSeconds(60), () => first.Errors);
            await using var second = Start("b");
            await second.WaitForTextAsync("Waiting for the lease", TimeSpan.FromSeconds(30));

            first.Terminate();
            await first.WaitForTextAsync("waiting up to 5m for the one in flight", TimeSpan.FromSeconds(10));
            // Longer than the lease duration: a leader that stopped renewing at SIGTERM would have lost the Lease by now.
            await Task.Delay(TimeSpan.FromSeconds(17));
            Assert.False(first.HasExited, $"the leader exited while its defragmentation was in flight:{Environment.NewLine}{first.Errors}");
            Assert.DoesNotContain("Controller started", second.Errors);

            held!.Resume();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            // The hold may have caught the second member: the first leader then finished two.
            var doneByFirst = Defragmentations("a", "done");
            Assert.Equal(held.Name, doneByFirst[^1].Member);
            var keptByFirst = doneByFirst.ToDictionary(d => d.Member, d => LastDefragTime(kube, d.Member));
            Assert.All(keptByFirst.Values, Assert.NotNull);
            var left = cluster.Members.Select(m => m.Name).Except(keptByFirst.Keys).ToList();
            await OperatorFixture.WaitUntilAsync(() => left.All(m => Defragmentations("b", "started").Any(d => d.Member == m)), TimeSpan.FromSeconds(90),
                $"the new leader defragments {string.Join(", ", left)}", () => second.Errors);

            Assert.True(When("a", "Released the Lease") <= When("b", "Controller started"), "the second replica led before the first released the Lease");
            var secondStarted = Defragmentations("b", "started");
            Assert.Empty(secondStarted.Select(d => d.Member).Intersect(keptByFirst.Keys)); // no member defragmented by both
            // The pause is counted from the first leader's recorded end; lines are seen a little after they are written.
            Assert.True(secondStarted[0].At - doneByFirst[^1].At >= DefaultPause - TimeSpan.FromSeconds(1),
                $"the new leader started {secondStarted[0].At - doneByFirst[^1].At} after the last defragmentation");
            Assert.All(keptByFirst, kept => Assert.Equal(kept.Value, LastDefragTime(kube, kept.Key)));
        }
        finally
        {
            if ((held ?? hold.Member) is { IsPaused: true } paused)
            {
                paused.Resume();
            }
        }
    }

    private static string? LastDefragTime(OperatorFixture kube, string member) =>
        kube.Api.Get(OperatorFixture.Policies, OperatorFixture.Ns, "handover")?["status"]?["members"]?.AsArray()
            .FirstOrDefault(m => (string?)m!["name"] == member)?["lastDefragTime"]?.ToString();

    [GeneratedRegex(@": Defragment (?<member>\S+)(: | (?<verb>done) in )")]
    private static partial Regex DefragLine();
}
