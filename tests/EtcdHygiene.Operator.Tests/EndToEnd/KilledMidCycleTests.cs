using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// etcd-hygiene SIGKILLed inside a defragmentation (proven by etcd's own log) and started again at
/// once, as a crashing pod or a rebooted VM would be: the pause between members holds across the
/// restart, counted from when the defragmentation really ended, and no compaction ever reaches into
/// the retention window. Both front ends: <c>run</c> with its state file, <c>operator</c> with status.
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
                rule: {"{"} minFragmentationRatio: 0.1, minDbSizeBytes: 1Mi, minReclaimableBytes: 512Ki {"}"}
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
                    ["rule"] = new JsonObject { ["minFragmentationRatio"] = 0.1, ["minDbSizeBytes"] = "1Mi", ["minReclaimableBytes"] = "512Ki" },
                    ["pauseBetweenMembers"] = "6s",
                },
            });
            string[] arguments = ["operator", "--kubeconfig", kubeconfig, "--tenancy-config", kube.TenancyConfig(), "--log-format", "json",
                "--metrics-bind-address", "0", "--health-probe-bind-address", "0"];

            // Status holds what the restarted operator relied on; the defragmentation it never saw end
            // (etcd finished it after the kill) is cleared by the next one that succeeded. The operator
            // writes status after etcd answers, so the check waits for that write, not for etcd's log.
            JsonNode? settled = null;
            bool StatusSettled()
            {
                var status = kube.Policy("killed")?["status"];
                if (status is null || status["unfinishedDefrag"] is not null
                    || status["members"]?.AsArray().Count(m => m?["lastDefragTime"] is not null) < 2)
                {
                    return false;
                }
                settled = status;
                return true;
            }

            await KillDuringTheFirstDefragmentationAndRestartAsync(cluster, () => CliProcess.Start(arguments), StatusSettled);

            Assert.True(settled is not null, $"status never cleared unfinishedDefrag with two members defragmented: {kube.Policy("killed")?["status"]?.ToJsonString()}");
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    /// <summary>
    /// Fragments the cluster (with 16 MiB of live data a defragmentation must copy), starts
    /// etcd-hygiene under a registry workload, and SIGKILLs it the moment etcd itself logs that a
    /// defragmentation began; that member is stopped (SIGSTOP) at the same moment and let go 2 s
    /// later, so the defragmentation the first life asked for provably outlives it and lasts seconds.
    /// A second life starts at once and finishes the rollout (and, when given, until
    /// <paramref name="settled"/> holds, for what the front end writes after etcd answers). Then etcd's own logs are checked:
    /// the kill landed inside that defragmentation, one member at a time, the whole pause after
    /// each defragmentation really ended, and no compaction inside the retention window.
    /// </summary>
    private static async Task KillDuringTheFirstDefragmentationAndRestartAsync(EtcdTestCluster cluster, Func<CliProcess> start, Func<bool>? settled = null)
    {
        var client = cluster.CreateClient();
        await EtcdData.AddLiveDataAsync(client, 16);
        await EtcdData.FragmentAsync(client);
        using var stop = new CancellationTokenSource();
        await using var revisions = new RevisionSampler(cluster);
        // Registries keep writing; etcd shows pages freed by a compaction only after later writes.
        var registry = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions
        {
            Services = 2, NodesPerService = 2, Writers = 1, ReRegisterInterval = TimeSpan.FromMilliseconds(50), Prefix = "/live/",
        });
        var writing = registry.RunAsync(stop.Token);
        var lives = new List<CliProcess>();
        EtcdTestMember? held = null;
        var killedAt = DateTimeOffset.MinValue;
        try
        {
            // A loaded machine can hand the test etcd's line late, after the defragmentation ended
            // and the life logged it done: that kill did not land inside it. Then the next life
            // (started at once, as after any crash) is killed at its next defragmentation instead.
            CliProcess? landedIn = null;
            for (var attempt = 1; landedIn is null; attempt++)
            {
                var life = start();
                lives.Add(life);
                (held, killedAt) = await KillAtTheNextDefragmentationAsync(cluster, life);
                await life.WaitForExitAsync(TimeSpan.FromSeconds(10));
                if (!Entries(life).Any(e => DefragDone().Match(e.Message) is { Success: true } m && m.Groups["member"].Value == held.Name))
                {
                    landedIn = life;
                }
                else if (attempt == 3)
                {
                    throw new InvalidOperationException($"three kills came after the defragmentation had ended:{Environment.NewLine}{life.Errors}");
                }
                else
                {
                    held.Resume();
                }
            }

            // Started again at once, as a restarting pod or service is, while the defragmentation goes on.
            var second = start();
            lives.Add(second);
            await Task.Delay(TimeSpan.FromSeconds(2));
            held!.Resume();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!(EveryMemberDefragmented(cluster) && (settled?.Invoke() ?? true)) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
        finally
        {
            if (held is { IsPaused: true })
            {
                held.Resume();
            }
            await stop.CancelAsync();
            await writing;
            foreach (var life in lives)
            {
                await life.DisposeAsync();
            }
        }

        var transcript = string.Join(Environment.NewLine, lives.SelectMany(Entries).Select(e => $"{e.At:HH:mm:ss.fff} {e.Message}"));
        var audit = new MaintenanceAudit(cluster);
        var etcdSide = string.Join(Environment.NewLine, audit.Defragmentations);
        var report = $"killed at {killedAt:HH:mm:ss.fff} while {held!.Name} defragmented; etcd logged:{Environment.NewLine}{etcdSide}{Environment.NewLine}etcd-hygiene logged:{Environment.NewLine}{transcript}";

        // The kill landed inside the defragmentation: the first life asked for it, never saw it end,
        // and etcd finished it after the kill.
        var killedLife = lives[^2];
        Assert.Contains(Entries(killedLife), e => DefragStarted().Match(e.Message) is { Success: true } m && m.Groups["member"].Value == held.Name);
        Assert.DoesNotContain(Entries(killedLife), e => DefragDone().Match(e.Message) is { Success: true } m && m.Groups["member"].Value == held.Name);
        Assert.Contains(audit.Defragmentations, d => d.Member == held.Name && d.Start <= killedAt && d.End > killedAt + TimeSpan.FromSeconds(1.5));
        // The rollout went on after the restart: the last life defragmented what was left.
        Assert.True(EveryMemberDefragmented(cluster), report);
        Assert.Contains(Entries(lives[^1]), e => DefragDone().IsMatch(e.Message));
        Assert.Contains(Entries(lives[^1]), e => e.Message.Contains("pauseBetweenMembers has not passed"));
        // Safety, from etcd's side: one member at a time, and each defragmentation began a whole
        // pause after the previous one really ended (for the held one: after the kill, the restart
        // and its member's return), and no compaction inside the retention window.
        Assert.Empty(audit.Overlaps());
        var shortPauses = audit.ShortPauses(Pause, _ => false);
        Assert.True(shortPauses.Count == 0, string.Join(Environment.NewLine, shortPauses) + Environment.NewLine + report);
        Assert.NotEmpty(audit.Compactions);
        var insideTheWindow = audit.CompactionsInsideTheWindow(revisions, Retention, _ => false);
        Assert.True(insideTheWindow.Count == 0, string.Join(Environment.NewLine, insideTheWindow) + Environment.NewLine + report);
        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>The rollout is complete: etcd logged a finished defragmentation of every member.</summary>
    private static bool EveryMemberDefragmented(EtcdTestCluster cluster) =>
        new MaintenanceAudit(cluster).Defragmentations is var done && cluster.Members.All(m => done.Any(d => d.Member == m.Name && d.End is not null));

    /// <summary>
    /// SIGKILLs <paramref name="life"/> the moment a member logs "starting defragment", and stops that
    /// member (SIGSTOP) at the same moment, so its defragmentation outlives the process.
    /// </summary>
    private static async Task<(EtcdTestMember Member, DateTimeOffset KilledAt)> KillAtTheNextDefragmentationAsync(EtcdTestCluster cluster, CliProcess life)
    {
        var killed = new TaskCompletionSource<(EtcdTestMember, DateTimeOffset)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlers = cluster.Members.Select(member => (member, handler: (Action<string>)(line =>
        {
            if (!line.Contains("\"msg\":\"starting defragment\"", StringComparison.Ordinal))
            {
                return;
            }
            lock (killed)
            {
                if (!killed.Task.IsCompleted)
                {
                    member.Pause();
                    life.Kill();
                    killed.TrySetResult((member, DateTimeOffset.UtcNow));
                }
            }
        }))).ToList();
        handlers.ForEach(h => h.member.LineLogged += h.handler);
        try
        {
            if (await Task.WhenAny(killed.Task, Task.Delay(TimeSpan.FromSeconds(60))) != killed.Task)
            {
                throw new TimeoutException($"etcd began no defragmentation:{Environment.NewLine}{life.Errors}");
            }
            return killed.Task.Result;
        }
        finally
        {
            handlers.ForEach(h => h.member.LineLogged -= h.handler);
        }
    }

    private static List<(DateTimeOffset At, string Message)> Entries(CliProcess process) =>
        process.Errors.Split('\n').Select(line => line.Trim()).Where(line => line.StartsWith('{'))
            .Select(line => JsonNode.Parse(line)!)
            .Select(json => (DateTimeOffset.Parse((string)json["Timestamp"]!, CultureInfo.InvariantCulture), (string?)json["Message"] ?? ""))
            .ToList();

    [GeneratedRegex(@": Defragment (?<member>\S+): ")]
    private static partial Regex DefragStarted();

    [GeneratedRegex(@": Defragment (?<member>\S+) done in ")]
    private static partial Regex DefragDone();
}
