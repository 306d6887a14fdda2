using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// Safety rule 9 through a replica that loses its right to act while it maintains a cluster: the
/// leader is stopped (SIGSTOP) in the pause between two members for longer than the Lease (and the
/// cluster lock's lease) lasts, a standby takes over, and the old leader is resumed. When it
/// resumes, its pause is over and its cycle would go on with the next member; the fence must stop
/// it before any request reaches etcd. Default lease timings and the default pause.
/// </summary>
public sealed class LeaseLostTests
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
            Assert.DoesNotContain(afterResume, l => l.Contains(": Defragment ") || l.Contains(": Compact to revision") || l.Contains(": Move leader") || l.Contains(": Disarm NOSPACE"));
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
}
