using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// Safety rule 9 through a replica that loses its right to act while it maintains a cluster, at the
/// default lease timings and the default pause: stopped (SIGSTOP) in the pause between two members
/// past the Lease, or cut off from the API server past the renew deadline. Either way its cycle
/// would go on with the next member once the pause is over; nothing may reach etcd from it after
/// the loss.
/// </summary>
public sealed partial class LeaseLostTests
{
    [Fact]
    public async Task ALeaderStoppedPastItsLease_SendsNothingWhenItResumes_TheNewLeaderMaintains()
    {
        await using var replicas = await ElectedReplicas.StartAsync("fenced");
        var (cluster, seen) = (replicas.Cluster, replicas.Seen);
        CliProcess Start(string who) => replicas.Start(who);

        await using var first = Start("a");
        var resumedAt = DateTime.MaxValue;
        try
        {
            // In the pause after its first defragmentation.
            await OperatorFixture.WaitUntilAsync(() => seen.Any(s => s.Who == "a" && s.Line.Contains(": Defragment ") && s.Line.Contains(" done in ")),
                TimeSpan.FromSeconds(90), "the leader's first defragmentation", () => first.Errors);
            await using var second = Start("b");
            await second.WaitForTextAsync("Waiting for the lease", TimeSpan.FromSeconds(30));

            Signals.Send(first.Id, Signals.SigStop);
            try
            {
                // Past the Lease's 15 s and the cluster lock's 10 s: the standby leads and holds the lock.
                await second.WaitForTextAsync("Controller started", TimeSpan.FromSeconds(40));
                await Task.Delay(TimeSpan.FromSeconds(12));
            }
            finally
            {
                resumedAt = DateTime.UtcNow;
                Signals.Send(first.Id, Signals.SigCont);
            }

            // The old leader notices, and exits; the new one goes on with the cluster.
            Assert.Equal(1, await first.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            await OperatorFixture.WaitUntilAsync(() => seen.Any(s => s.Who == "b" && s.Line.Contains(": Defragment ") && s.Line.Contains("done in")),
                TimeSpan.FromSeconds(90), "the new leader defragments", () => second.Errors);

            var afterResume = seen.Where(s => s.Who == "a" && s.At >= resumedAt).Select(s => s.Line).ToList();
            var transcript = string.Join(Environment.NewLine, afterResume);
            Assert.DoesNotContain(afterResume, l => StepStarts().IsMatch(l));
            Assert.Contains(seen.Where(s => s.Who == "a" && s.At < resumedAt), s => StepStarts().IsMatch(s.Line));
            Assert.True(afterResume.Count > 0, "the resumed leader logged nothing: the test could not see what it did");
            Assert.Empty(new MaintenanceAudit(cluster).Overlaps());
            Assert.False(string.IsNullOrEmpty(transcript));
        }
        finally
        {
            if (first.HasExited is false && resumedAt == DateTime.MaxValue)
            {
                Signals.Send(first.Id, Signals.SigCont);
            }
        }
    }

    [Fact]
    public async Task ALeaderCutOffFromTheApiServerPastTheRenewDeadline_SendsNothingMore()
    {
        await using var replicas = await ElectedReplicas.StartAsync("cut-off");
        var seen = replicas.Seen;
        await using var leader = replicas.Start("a");
        // In the pause after its first defragmentation (10 s, longer than what is left of it below).
        await OperatorFixture.WaitUntilAsync(() => seen.Any(s => s.Line.Contains(": Defragment ") && s.Line.Contains(" done in ")),
            TimeSpan.FromSeconds(90), "the leader's first defragmentation", () => leader.Errors);
        var defragmentedBefore = new MaintenanceAudit(replicas.Cluster).Defragmentations.Count;

        var cutAt = DateTime.UtcNow;
        replicas.Kube.Api.BeUnreachableFor(TimeSpan.FromSeconds(30));
        // The renew deadline (10 s) passes: leadership is given up and the process exits.
        Assert.Equal(1, await leader.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        var afterCut = seen.Where(s => s.At >= cutAt).Select(s => s.Line).ToList();
        var transcript = string.Join(Environment.NewLine, afterCut);
        Assert.True(afterCut.Any(l => l.Contains("Lost the lease")), $"the leader should say it lost the Lease:{Environment.NewLine}{transcript}");
        Assert.DoesNotContain(afterCut, l => StepStarts().IsMatch(l));
        // The control: the same pattern finds the step lines from before the cut.
        Assert.Contains(seen.Where(s => s.At < cutAt), s => StepStarts().IsMatch(s.Line));
        // From etcd's side: no defragmentation began after the cut.
        var audit = new MaintenanceAudit(replicas.Cluster);
        Assert.True(audit.Defragmentations.Count == defragmentedBefore,
            $"etcd logged {audit.Defragmentations.Count - defragmentedBefore} defragmentation(s) after the API server went away:{Environment.NewLine}{transcript}");
    }

    // A step's line as the cycle logs it right before the request ("Policy ns/name: Defragment m2: <reason>"),
    // not the pause's ("Defragment m2 in 9.5s: …") nor a refusal's ("Defragment m2 not started: …").
    [System.Text.RegularExpressions.GeneratedRegex(@": (Defragment \S+|Compact to revision \d+ \(\w+\)|Move leader \S+ -> \S+|Disarm NOSPACE of \S+): ")]
    private static partial System.Text.RegularExpressions.Regex StepStarts();
}
