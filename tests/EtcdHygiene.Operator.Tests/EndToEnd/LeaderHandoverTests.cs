using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// Two operator processes with --leader-elect against the test API server and a real 3-member
/// cluster, at the default policy (pause between members 10 s) and the default lease timings: the
/// leader gets SIGTERM in the middle of a defragmentation.
/// </summary>
public sealed partial class LeaderHandoverTests
{
    private static readonly TimeSpan DefaultPause = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ALeaderStoppedMidDefragmentation_HandsOverOnlyOnceItsStepIsDone_AndTheNextKeepsThePauseAndTheState()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await using var kube = await OperatorFixture.StartAsync();
        var kubeconfig = kube.WriteKubeconfig();
        await EtcdData.FragmentAsync(cluster.CreateClient());
        // Registries keep writing; etcd shows the pages a compaction freed only after later writes.
        using var stopWriting = new CancellationTokenSource();
        var writing = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions
        {
            Services = 2, NodesPerService = 2, Writers = 1, ReRegisterInterval = TimeSpan.FromMilliseconds(50), Prefix = "/live/",
        }).RunAsync(stopWriting.Token);
        kube.ApplyPolicy("handover", cluster.ClientUrls, JsonNode.Parse("""
            { "compaction": { "mode": "Revision", "retainRevisions": 10 },
              "defragmentation": { "rule": { "minFragmentationRatio": 0.2, "minDbSizeBytes": "1Mi", "minReclaimableBytes": "512Ki" } } }
            """)!.AsObject());
        string[] operatorArguments = ["operator", "--kubeconfig", kubeconfig, "--leader-elect", "--leader-election-namespace", OperatorFixture.Ns,
            "--metrics-bind-address", "0", "--health-probe-bind-address", "0"];
        var seen = new ConcurrentQueue<(DateTime At, string Who, string Line)>();
        CliProcess Start(string who)
        {
            var process = CliProcess.Start(operatorArguments);
            process.LineWritten += line => seen.Enqueue((DateTime.UtcNow, who, line));
            return process;
        }
        DateTime When(string who, string text) => seen.First(s => s.Who == who && s.Line.Contains(text)).At;
        List<(DateTime At, string Member)> Defragmentations(string who, string verb) =>
            seen.Where(s => s.Who == who).Select(s => (s.At, Match: DefragLine().Match(s.Line)))
                .Where(s => s.Match.Success && (s.Match.Groups["verb"].Success ? "done" : "started") == verb).Select(s => (s.At, s.Match.Groups["member"].Value)).ToList();

        await using var first = Start("a");
        // Stopped (SIGSTOP) as soon as the line is read, the member holds the defragmentation in flight.
        EtcdTestMember? held = null;
        first.LineWritten += line =>
        {
            if (held is null && DefragLine().Match(line) is { Success: true } started && !started.Groups["verb"].Success)
            {
                held = cluster.Members.Single(m => m.Name == started.Groups["member"].Value);
                held.Pause();
            }
        };
        try
        {
            await OperatorFixture.WaitUntilAsync(() => held is not null, TimeSpan.FromSeconds(60), "the leader starts a defragmentation", () => first.Errors);
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
            var keptByFirst = LastDefragTime(kube, held.Name);
            Assert.NotNull(keptByFirst);
            await OperatorFixture.WaitUntilAsync(() => Defragmentations("b", "started").Count >= 2, TimeSpan.FromSeconds(90),
                "the new leader defragments the other two members", () => second.Errors);

            Assert.True(When("a", "Released the Lease") <= When("b", "Controller started"), "the second replica led before the first released the Lease");
            var firstDone = Defragmentations("a", "done").Single();
            Assert.Equal(held.Name, firstDone.Member);
            var secondStarted = Defragmentations("b", "started");
            Assert.DoesNotContain(held.Name, secondStarted.Select(d => d.Member));
            Assert.Equal(2, secondStarted.Select(d => d.Member).Distinct().Count());
            // The pause is counted from the first leader's recorded end; lines are seen a little after they are written.
            Assert.True(secondStarted[0].At - firstDone.At >= DefaultPause - TimeSpan.FromSeconds(1),
                $"the new leader started {secondStarted[0].At - firstDone.At} after the last defragmentation");
            Assert.Equal(keptByFirst, LastDefragTime(kube, held.Name));
        }
        finally
        {
            if (held is { IsPaused: true })
            {
                held.Resume();
            }
            await stopWriting.CancelAsync();
            await writing;
            File.Delete(kubeconfig);
        }
    }

    private static string? LastDefragTime(OperatorFixture kube, string member) =>
        kube.Api.Get(OperatorFixture.Policies, OperatorFixture.Ns, "handover")?["status"]?["members"]?.AsArray()
            .FirstOrDefault(m => (string?)m!["name"] == member)?["lastDefragTime"]?.ToString();

    [GeneratedRegex(@": Defragment (?<member>\S+)(: | (?<verb>done) in )")]
    private static partial Regex DefragLine();
}
