using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Kubernetes;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// Safety rule 9 through a replica that loses its right to act while it maintains a cluster, at the
/// default lease timings and the default pause: stopped (SIGSTOP) in the pause between two members
/// past the Lease, or cut off from the API server past the renew deadline. Either way its cycle
/// would go on with the next member once the pause is over; nothing may reach etcd from it after
/// the loss.
/// </summary>
[Trait("Etcd", "AnyVersion")]
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

            // The old leader notices, stops acting and stands for the Lease again; the new one goes on with the cluster.
            await OperatorFixture.WaitUntilAsync(() => seen.Any(s => s.Who == "a" && s.At >= resumedAt && s.Line.Contains("Lost the lease")),
                TimeSpan.FromSeconds(60), "the old leader says it lost the Lease", () => first.Errors);
            await OperatorFixture.WaitUntilAsync(() => seen.Any(s => s.Who == "a" && s.At >= resumedAt && s.Line.Contains("Waiting for the lease")),
                TimeSpan.FromSeconds(60), "the old leader stands again", () => first.Errors);
            Assert.False(first.HasExited, "the old leader exited instead of standing by");
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

    /// <summary>
    /// The issue's scenario: the API server gone for two minutes under two replicas, at the default
    /// Lease timings. The leader stops starting steps past its renew deadline; neither replica exits
    /// nor fails its liveness probe (the kubelet would restart it into a crash loop); readiness says
    /// what is wrong and comes back; once the API server is back, a replica leads again and keeps renewing its Lease.
    /// </summary>
    [Fact]
    public async Task AnApiServerOutageOfTwoMinutes_StopsTheLeadersSteps_NoReplicaExitsOrFailsLiveness_AndLeadershipComesBack()
    {
        await using var replicas = await ElectedReplicas.StartAsync("cut-off");
        var seen = replicas.Seen;
        var ports = FreePorts.Take(2);
        await using var leader = replicas.Start("a", ports[0]);
        // In the pause after its first defragmentation (10 s, longer than what is left of it below).
        await OperatorFixture.WaitUntilAsync(() => seen.Any(s => s.Line.Contains(": Defragment ") && s.Line.Contains(" done in ")),
            TimeSpan.FromSeconds(90), "the leader's first defragmentation", () => leader.Errors);
        await using var standby = replicas.Start("b", ports[1]);
        await standby.WaitForTextAsync("Waiting for the lease", TimeSpan.FromSeconds(30));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        async Task<int> Probe(int port, string path)
        {
            try
            {
                return (int)(await http.GetAsync($"http://127.0.0.1:{port}{path}")).StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return 0;
            }
        }
        var probed = new List<(DateTime At, string Who, int Live, int Ready)>();
        await OperatorFixture.WaitUntilAsync(() => Task.WhenAll(Probe(ports[0], "/readyz"), Probe(ports[1], "/readyz")).Result.All(c => c == 200),
            TimeSpan.FromSeconds(30), "both replicas ready before the outage");

        var cutAt = DateTime.UtcNow;
        var outage = TimeSpan.FromMinutes(2);
        replicas.Kube.Api.BeUnreachableFor(outage);
        var restoredAt = cutAt + outage;
        while (DateTime.UtcNow < restoredAt)
        {
            foreach (var (who, port) in new[] { ("a", ports[0]), ("b", ports[1]) })
            {
                probed.Add((DateTime.UtcNow, who, await Probe(port, "/healthz"), await Probe(port, "/readyz")));
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        var defragmentationsInOutage = new MaintenanceAudit(replicas.Cluster).Defragmentations.Where(d => d.Start > cutAt && d.Start < restoredAt).ToList();

        // Liveness held all along, and the probes were really answered (not a count of nothing).
        Assert.True(probed.Count > 100, $"only {probed.Count} probes");
        Assert.All(probed, p => Assert.Equal(200, p.Live));
        Assert.Contains(probed, p => p.Who == "a" && p.Ready == 503);
        Assert.Contains(probed, p => p.Who == "b" && p.Ready == 503);
        Assert.False(leader.HasExited, $"the leader exited:{Environment.NewLine}{leader.Errors}");
        Assert.False(standby.HasExited, $"the standby exited:{Environment.NewLine}{standby.Errors}");

        // Nothing reached etcd from the leader once its renew deadline passed: its log and etcd's.
        var duringOutage = seen.Where(s => s.At >= cutAt && s.At < restoredAt).ToList();
        var transcript = string.Join(Environment.NewLine, duringOutage.Select(s => $"{s.Who}: {s.Line}"));
        Assert.True(duringOutage.Any(s => s.Who == "a" && s.Line.Contains("Lost the lease")), $"the leader should say it lost the Lease:{Environment.NewLine}{transcript}");
        Assert.DoesNotContain(duringOutage, s => StepStarts().IsMatch(s.Line));
        Assert.Contains(seen.Where(s => s.At < cutAt), s => StepStarts().IsMatch(s.Line)); // the control: the pattern finds steps
        Assert.Empty(defragmentationsInOutage);

        // The API server is back: both ready again, one of them leads and maintains again.
        await OperatorFixture.WaitUntilAsync(() => Task.WhenAll(Probe(ports[0], "/readyz"), Probe(ports[1], "/readyz")).Result.All(c => c == 200),
            TimeSpan.FromSeconds(60), "both replicas ready after the outage", () => string.Join(Environment.NewLine, seen.Where(s => s.At >= restoredAt).Select(s => $"{s.Who}: {s.Line}")));
        await OperatorFixture.WaitUntilAsync(() => seen.Any(s => s.At >= restoredAt && s.Line.Contains("Controller started")),
            TimeSpan.FromSeconds(60), "a replica leads again");
        // The new term is kept, not only taken: the Lease is renewed after the outage. (The next step
        // itself waits for the policy's next cycle, up to the 5 min compaction interval: too long to wait for here.)
        var leases = new ResourceKind("apis/coordination.k8s.io/v1", "leases");
        DateTime? Renewed() => replicas.Kube.Api.Get(leases, OperatorFixture.Ns, "etcd-hygiene-leader")?["spec"]?["renewTime"] is { } at
            ? DateTime.Parse((string)at!, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal)
            : null;
        var firstRenewal = DateTime.MinValue;
        await OperatorFixture.WaitUntilAsync(() => Renewed() is { } at && at > restoredAt && (firstRenewal = at) > DateTime.MinValue,
            TimeSpan.FromSeconds(60), "the Lease renewed after the outage");
        await OperatorFixture.WaitUntilAsync(() => Renewed() > firstRenewal, TimeSpan.FromSeconds(60), "the Lease renewed again");
        Assert.False(leader.HasExited || standby.HasExited, "a replica exited after the outage");
    }

    // A step's line as the cycle logs it right before the request ("Policy ns/name: Defragment m2: <reason>"),
    // not the pause's ("Defragment m2 in 9.5s: …") nor a refusal's ("Defragment m2 not started: …").
    [System.Text.RegularExpressions.GeneratedRegex(@": (Defragment \S+|Compact to revision \d+ \(\w+\)|Move leader \S+ -> \S+|Disarm NOSPACE of \S+): ")]
    private static partial System.Text.RegularExpressions.Regex StepStarts();
}
