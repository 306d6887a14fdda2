using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

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
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await using var kube = await OperatorFixture.StartAsync();
        var kubeconfig = kube.WriteKubeconfig();
        await EtcdData.FragmentAsync(cluster.CreateClient());
        using var stopWriting = new CancellationTokenSource();
        var writing = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions
        {
            Services = 2, NodesPerService = 2, Writers = 1, ReRegisterInterval = TimeSpan.FromMilliseconds(50), Prefix = "/live/",
        }).RunAsync(stopWriting.Token);
        kube.ApplyPolicy("fenced", cluster.ClientUrls, JsonNode.Parse("""
            { "compaction": { "mode": "Revision", "retainRevisions": 10 },
              "defragmentation": { "rule": { "minFragmentationRatio": 0.2, "minDbSizeBytes": "1Mi", "minReclaimableBytes": "512Ki" } } }
            """)!.AsObject());
        string[] arguments = ["operator", "--kubeconfig", kubeconfig, "--leader-elect", "--leader-election-namespace", OperatorFixture.Ns,
            "--metrics-bind-address", "0", "--health-probe-bind-address", "0"];
        var seen = new ConcurrentQueue<(DateTime At, string Who, string Line)>();
        CliProcess Start(string who)
        {
            var process = CliProcess.Start(arguments);
            process.LineWritten += line => seen.Enqueue((DateTime.UtcNow, who, line));
            return process;
        }

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
            await stopWriting.CancelAsync();
            await writing;
            File.Delete(kubeconfig);
        }
    }
}
