using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;
using Etcdserverpb;
using Google.Protobuf;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// etcd-hygiene SIGKILLed in the middle of a defragmentation rollout and started again at once, as
/// a crashing pod or a rebooted VM would be: the pause between members holds across the restart
/// (so no member is defragmented twice within it), and no compaction ever reaches into the
/// retention window. Both front ends: <c>run</c> with its state file, <c>operator</c> with status.
/// </summary>
public sealed partial class KilledMidCycleTests
{
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan Retention = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Run_KilledDuringADefragmentation_AndRestarted_KeepsThePauseAndTheWindow()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        using var folder = new PolicyFolder();
        var policy = folder.Write("killed", cluster.ClientUrls, $"""
              compaction: {"{"} mode: Periodic, retention: 3s, interval: 1s {"}"}
              defragmentation:
                rule: {"{"} minFragmentationRatio: 0.3, minDbSizeBytes: 1Mi, minReclaimableBytes: 512Ki {"}"}
                pauseBetweenMembers: 6s
            """);
        string[] arguments = ["run", "--policy", policy, "--state-dir", folder.StateDirectory, "--log-format", "json"];

        await KillDuringTheFirstDefragmentationAndRestartAsync(cluster, () => CliProcess.Start(arguments));
    }

    [Fact]
    public async Task Operator_KilledDuringADefragmentation_AndRestarted_KeepsThePauseAndTheWindow()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await using var kube = await OperatorFixture.StartAsync();
        var kubeconfig = kube.WriteKubeconfig();
        try
        {
            kube.ApplyPolicy("killed", cluster.ClientUrls, new JsonObject
            {
                ["compaction"] = new JsonObject { ["mode"] = "Periodic", ["retention"] = "3s", ["interval"] = "1s" },
                ["defragmentation"] = new JsonObject
                {
                    ["rule"] = new JsonObject { ["minFragmentationRatio"] = 0.3, ["minDbSizeBytes"] = "1Mi", ["minReclaimableBytes"] = "512Ki" },
                    ["pauseBetweenMembers"] = "6s",
                },
            });
            string[] arguments = ["operator", "--kubeconfig", kubeconfig, "--log-format", "json",
                "--metrics-bind-address", "0", "--health-probe-bind-address", "0"];

            await KillDuringTheFirstDefragmentationAndRestartAsync(cluster, () => CliProcess.Start(arguments));

            // Status holds what the restarted operator relied on; the defragmentation it never saw end
            // (etcd finished it after the kill) is cleared by the next one that succeeded.
            var status = kube.Policy("killed")!["status"]!;
            Assert.Null(status["unfinishedDefrag"]);
            Assert.True(status["members"]!.AsArray().Count(m => m?["lastDefragTime"] is not null) >= 2, status.ToJsonString());
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    /// <summary>
    /// Fragments the cluster, starts etcd-hygiene under a registry workload, SIGKILLs it the moment
    /// it logs its first defragmentation (the request is in flight), starts it again and lets it
    /// finish the rollout; then checks every defragmentation and compaction both lives logged.
    /// </summary>
    private static async Task KillDuringTheFirstDefragmentationAndRestartAsync(EtcdTestCluster cluster, Func<CliProcess> start)
    {
        var client = cluster.CreateClient();
        await EtcdData.FragmentAsync(client);
        using var stop = new CancellationTokenSource();
        var revisions = new ConcurrentQueue<(DateTimeOffset SentAt, long Revision)>();
        var sampling = SampleRevisionsAsync(cluster, revisions, stop.Token);
        // Registries keep writing; etcd shows pages freed by a compaction only after later writes.
        var registry = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions
        {
            Services = 2, NodesPerService = 2, Writers = 1, ReRegisterInterval = TimeSpan.FromMilliseconds(50), Prefix = "/live/",
        });
        var writing = registry.RunAsync(stop.Token);
        var lives = new List<CliProcess>();
        try
        {
            var first = start();
            lives.Add(first);
            var killed = new TaskCompletionSource();
            first.LineWritten += line =>
            {
                if (!killed.Task.IsCompleted && DefragStarted().IsMatch(Message(line) ?? ""))
                {
                    first.Kill();
                    killed.TrySetResult();
                }
            };
            if (await Task.WhenAny(killed.Task, Task.Delay(TimeSpan.FromSeconds(60))) != killed.Task)
            {
                throw new TimeoutException($"no defragmentation started:{Environment.NewLine}{first.Errors}");
            }
            await first.WaitForExitAsync(TimeSpan.FromSeconds(10));

            var second = start();
            lives.Add(second);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (Entries(second).Count(e => DefragDone().IsMatch(e.Message)) < 2 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(writing, sampling);
            foreach (var life in lives)
            {
                await life.DisposeAsync();
            }
        }

        var log = lives.SelectMany(Entries).ToList();
        var transcript = string.Join(Environment.NewLine, log.Select(e => $"{e.At:HH:mm:ss.fff} {e.Message}"));
        var starts = log.Select(e => (e.At, Match: DefragStarted().Match(e.Message))).Where(s => s.Match.Success)
            .Select(s => (s.At, Member: s.Match.Groups["member"].Value)).ToList();
        // The rollout went on after the restart: the two members left were defragmented by the second life.
        Assert.True(Entries(lives[1]).Count(e => DefragDone().IsMatch(e.Message)) >= 2, transcript);
        Assert.Contains(Entries(lives[1]), e => e.Message.Contains("pauseBetweenMembers has not passed"));
        // Safety: every defragmentation starts a whole pause after the previous one, across the kill
        // (the pause counts from when an unfinished one started). A few ms of slack: the time logged is
        // taken just after the time the pause is counted from.
        for (var i = 1; i < starts.Count; i++)
        {
            Assert.True(starts[i].At - starts[i - 1].At >= Pause - TimeSpan.FromMilliseconds(100),
                $"{starts[i].Member} started {(starts[i].At - starts[i - 1].At).TotalSeconds:0.00}s after {starts[i - 1].Member}:{Environment.NewLine}{transcript}");
        }

        // Safety: each compaction's revision was written at least the retention before it was logged.
        var compactions = log.Select(e => (e.At, Match: Compacted().Match(e.Message))).Where(c => c.Match.Success)
            .Select(c => (c.At, Revision: long.Parse(c.Match.Groups["revision"].Value, CultureInfo.InvariantCulture))).ToList();
        Assert.NotEmpty(compactions);
        var samples = revisions.ToList();
        foreach (var (at, revision) in compactions)
        {
            // The revision was written after the last moment the sampler still saw a lower one.
            var lastBelow = samples.Where(s => s.Revision < revision).Select(s => s.SentAt).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
            Assert.True(at - lastBelow >= Retention,
                $"compacted to {revision} at {at:HH:mm:ss.fff}, but that revision did not exist yet at {lastBelow:HH:mm:ss.fff}:{Environment.NewLine}{transcript}");
        }
        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>The cluster's revision every 50 ms, stamped with when the request was sent.</summary>
    private static async Task SampleRevisionsAsync(EtcdTestCluster cluster, ConcurrentQueue<(DateTimeOffset, long)> samples, CancellationToken stop)
    {
        var client = cluster.CreateClient();
        while (!stop.IsCancellationRequested)
        {
            var sent = DateTimeOffset.UtcNow;
            try
            {
                var response = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/"), Limit = 1 }, cancellationToken: stop);
                samples.Enqueue((sent, response.Header.Revision));
                await Task.Delay(50, stop);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static List<(DateTimeOffset At, string Message)> Entries(CliProcess process) =>
        process.Errors.Split('\n').Select(line => line.Trim()).Where(line => line.StartsWith('{'))
            .Select(line => JsonNode.Parse(line)!)
            .Select(json => (DateTimeOffset.Parse((string)json["Timestamp"]!, CultureInfo.InvariantCulture), (string?)json["Message"] ?? ""))
            .ToList();

    private static string? Message(string line)
    {
        try
        {
            return line.TrimStart().StartsWith('{') ? (string?)JsonNode.Parse(line)?["Message"] : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex(@": Defragment (?<member>\S+): ")]
    private static partial Regex DefragStarted();

    [GeneratedRegex(@": Defragment (?<member>\S+) done in ")]
    private static partial Regex DefragDone();

    [GeneratedRegex(@": Compact to revision (?<revision>\d+) \(")]
    private static partial Regex Compacted();
}
