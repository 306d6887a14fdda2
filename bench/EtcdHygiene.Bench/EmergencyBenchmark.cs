using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Kubernetes;
using Etcdserverpb;

namespace EtcdHygiene.Bench;

/// <summary>
/// Scenario 7: an emergency never waits behind routine work (safety rule 11). 1,000 policies at the
/// defaults over 10 clusters, three of them (3 members each) in routine maintenance — fragmented
/// files of over 100 MiB that the default rule defragments, one member at a time with the default
/// 10 s pause — while etcd's Alarm RPC raises NOSPACE on an eleventh cluster, three times, a few
/// seconds apart: the time from each alarm to the first recovery step on it. Both front ends:
/// <c>run</c> with the policies as files, and the operator against the test API server the tests
/// use (its reconcile used to run a whole cycle in one of two work-queue workers).
/// </summary>
internal static partial class EmergencyBenchmark
{
    private const int Policies = 1000;
    private const int IdleClusters = 7;
    private const int BusyClusters = 3;
    private const int FragmentMebibytes = 48;
    private const int Alarms = 3;

    public static async Task<(Report Report, Dictionary<string, double> Keys)> RunAsync()
    {
        var report = new Report("7. NOSPACE on one cluster while others are in routine maintenance");
        var run = await MeasureAsync(operatorMode: false);
        var op = await MeasureAsync(operatorMode: true);
        report.Line($"{Policies} policies at the defaults over {IdleClusters + BusyClusters} clusters: {IdleClusters} idle single-member clusters and {BusyClusters} " +
            $"3-member clusters whose files ({FragmentMebibytes} MiB of values written twice and compacted: at least {Report.Mib(Math.Min(run.SmallestBusyFile, op.SmallestBusyFile))} each, " +
            "about half of it free pages) the default rule defragments, one member at a time with the default 10 s pause; " +
            $"one more policy names an eleventh, 3-member cluster on which etcd's Alarm RPC raises NOSPACE {Alarms} times once the maintenance has begun. " +
            "Measured: from the alarm to the front end's log line of its first recovery step on that cluster.");
        report.Line("");
        report.Table(["front end", "alarm → first recovery step, each", "of which the status poll's detection", "median", "target", "busy clusters: defragmentations in etcd's logs, overlapping"],
        [
            Row("`etcd-hygiene run`", run),
            Row("operator (test API server)", op),
        ]);
        return (report, new Dictionary<string, double>
        {
            ["run_nospace_first_step_seconds"] = Report.Median(run.Reactions.Select(r => r.TotalSeconds)),
            ["operator_nospace_first_step_seconds"] = Report.Median(op.Reactions.Select(r => r.TotalSeconds)),
        });
    }

    private static string[] Row(string name, Outcome outcome)
    {
        var median = Report.Median(outcome.Reactions.Select(r => r.TotalSeconds));
        return [name, string.Join(", ", outcome.Reactions.Select(Report.Seconds)), string.Join(", ", outcome.Detections.Select(d => d is { } seen ? Report.Seconds(seen) : "—")), $"{median:0.00} s", $"≤ 2 s ({(median <= 2 ? "met" : "MISSED")})", $"{outcome.BusyDefragmentations}, {outcome.Overlaps}"];
    }

    private sealed record Outcome(IReadOnlyList<TimeSpan> Reactions, IReadOnlyList<TimeSpan?> Detections, int BusyDefragmentations, int Overlaps)
    {
        public long SmallestBusyFile { get; init; }
    }

    private static async Task<Outcome> MeasureAsync(bool operatorMode)
    {
        var clusters = new List<EtcdTestCluster>();
        try
        {
            for (var i = 0; i < IdleClusters; i++)
            {
                clusters.Add(await EtcdTestCluster.StartAsync(new() { Members = 1 }));
            }
            var busy = new List<EtcdTestCluster>();
            var smallestFile = long.MaxValue;
            for (var i = 0; i < BusyClusters; i++)
            {
                var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
                clusters.Add(cluster);
                busy.Add(cluster);
                await EtcdData.FillAndCompactAsync(cluster.CreateClient(), FragmentMebibytes, writes: 2);
                var status = await cluster.CreateClient().StatusAsync(new StatusRequest());
                smallestFile = Math.Min(smallestFile, status.DbSize);
                Console.WriteLine($"  busy cluster {i + 1}: {Report.Mib(status.DbSize)} file, {Report.Mib(status.DbSizeInUse)} in use");
            }
            var alarmed = await EtcdTestCluster.StartAsync(new() { Members = 3 });
            clusters.Add(alarmed);
            var ordinary = clusters.Take(IdleClusters + BusyClusters).ToList();
            var names = Enumerable.Range(0, Policies - 1).Select(i => ($"p{i:0000}", ordinary[i % ordinary.Count])).Append(("alarmed", alarmed)).ToList();
            Console.WriteLine($"  {(operatorMode ? "operator" : "run")}: {names.Count} policies, clusters ready");
            var outcome = operatorMode ? await OperatorAsync(names, busy, alarmed) : await RunFrontEndAsync(names, busy, alarmed);
            return outcome with { SmallestBusyFile = smallestFile };
        }
        finally
        {
            foreach (var cluster in clusters)
            {
                await cluster.DisposeAsync();
            }
        }
    }

    private static async Task<Outcome> RunFrontEndAsync(List<(string Name, EtcdTestCluster Cluster)> policies, List<EtcdTestCluster> busy, EtcdTestCluster alarmed)
    {
        using var folder = new PolicyFolder();
        var files = policies.Select(p => folder.WriteDefaults(p.Name, p.Cluster.ClientUrls)).ToList();
        await using var process = CliProcess.Start(["run", "--state-dir", folder.StateDirectory, .. files.SelectMany(f => new[] { "--policy", f })], environment: null);
        return await AlarmDuringMaintenanceAsync(process, "default/alarmed", busy, alarmed);
    }

    private static async Task<Outcome> OperatorAsync(List<(string Name, EtcdTestCluster Cluster)> policies, List<EtcdTestCluster> busy, EtcdTestCluster alarmed)
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        var kind = new ResourceKind($"apis/{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}", RegistryPolicyCrd.Plural);
        foreach (var (name, cluster) in policies)
        {
            api.Apply(kind, "bench", new JsonObject
            {
                ["apiVersion"] = $"{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}",
                ["kind"] = "RegistryPolicy",
                ["metadata"] = new JsonObject { ["name"] = name },
                ["spec"] = new JsonObject { ["etcd"] = new JsonObject { ["endpoints"] = new JsonArray(cluster.ClientUrls.Select(u => (JsonNode)u).ToArray()) } },
            });
        }
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"etcd-hygiene-bench-kubeconfig-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(kubeconfig, $$$"""
            apiVersion: v1
            kind: Config
            clusters: [{name: fake, cluster: {server: "{{{api.Url}}}"}}]
            users: [{name: bench, user: {token: not-checked}}]
            contexts: [{name: fake, context: {cluster: fake, user: bench}}]
            current-context: fake
            """);
        // The bench namespace may maintain the loopback clusters it starts, at the defaults.
        var tenancy = Path.Combine(Path.GetTempPath(), $"etcd-hygiene-bench-tenancy-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(tenancy, "rules: [{namespaces: [bench], endpoints: [\"127.0.0.0/8\"]}]\n");
        try
        {
            await using var process = CliProcess.Start(["operator", "--kubeconfig", kubeconfig, "--tenancy-config", tenancy,
                "--metrics-bind-address", "0", "--health-probe-bind-address", "0"], environment: null);
            return await AlarmDuringMaintenanceAsync(process, "bench/alarmed", busy, alarmed);
        }
        finally
        {
            File.Delete(kubeconfig);
            File.Delete(tenancy);
        }
    }

    /// <summary>
    /// Waits until the busy clusters' maintenance has begun (a defragmentation of one of them
    /// logged), then raises NOSPACE on <paramref name="alarmed"/> and times the first recovery step,
    /// <see cref="Alarms"/> times, each after the last recovery ended.
    /// </summary>
    private static async Task<Outcome> AlarmDuringMaintenanceAsync(CliProcess process, string alarmedPolicy, List<EtcdTestCluster> busy, EtcdTestCluster alarmed)
    {
        TaskCompletionSource<DateTimeOffset>? firstStep = null;
        TaskCompletionSource<DateTimeOffset>? seen = null;
        var maintenanceBegan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.LineWritten += line =>
        {
            if (line.Contains($"Policy {alarmedPolicy}: ", StringComparison.Ordinal)
                && (line.Contains(": Compact to revision ") || line.Contains(": Disarm NOSPACE") || line.Contains(": Defragment ")))
            {
                Volatile.Read(ref firstStep)?.TrySetResult(DateTimeOffset.UtcNow);
            }
            else if (line.Contains($"Policy {alarmedPolicy}: ", StringComparison.Ordinal) && line.Contains("starting a cycle now", StringComparison.Ordinal))
            {
                Volatile.Read(ref seen)?.TrySetResult(DateTimeOffset.UtcNow);
            }
            else if (!line.Contains($"Policy {alarmedPolicy}: ", StringComparison.Ordinal) && DefragmentationStarts().IsMatch(line))
            {
                maintenanceBegan.TrySetResult();
            }
        };
        await maintenanceBegan.Task.WaitAsync(TimeSpan.FromMinutes(5));
        var reactions = new List<TimeSpan>();
        var detections = new List<TimeSpan?>();
        var client = alarmed.ClientFor(alarmed.Members[1]);
        for (var i = 0; i < Alarms; i++)
        {
            await WaitUntilNoAlarmAsync(client);
            await Task.Delay(TimeSpan.FromSeconds(3));
            var step = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
            var noticed = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref firstStep, step);
            Volatile.Write(ref seen, noticed);
            var member = (await client.StatusAsync(new StatusRequest())).Header.MemberId;
            var raised = DateTimeOffset.UtcNow;
            await client.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = member, Alarm = AlarmType.Nospace });
            var reaction = await step.Task.WaitAsync(TimeSpan.FromMinutes(2)) - raised;
            reactions.Add(reaction);
            var detection = noticed.Task.IsCompleted ? $"{(noticed.Task.Result - raised).TotalSeconds:0.00} s" : "—";
            detections.Add(noticed.Task.IsCompleted ? noticed.Task.Result - raised : null);
            Console.WriteLine($"    alarm {i + 1}: first recovery step after {reaction.TotalSeconds:0.00} s, seen by the status poll after {detection} ({Defragmentations(busy).Count} busy defragmentations so far)");
        }
        await WaitUntilNoAlarmAsync(client);
        process.Terminate();
        await process.WaitForExitAsync(TimeSpan.FromMinutes(2));
        // From etcd's own logs: what the busy clusters' policies really did, and whether it stayed one member at a time.
        var overlaps = busy.Sum(c => new MaintenanceAudit(c).Overlaps().Count);
        return new Outcome(reactions, detections, Defragmentations(busy).Count, overlaps);
    }

    private static List<EtcdDefragmentation> Defragmentations(IEnumerable<EtcdTestCluster> clusters) =>
        clusters.SelectMany(c => new MaintenanceAudit(c).Defragmentations).ToList();

    // A step's line ("Policy ns/name: Defragment m2: <reason>"), not the pause's ("Defragment m2 in 9.5s: …").
    [GeneratedRegex(@": Defragment \S+: ")]
    private static partial Regex DefragmentationStarts();

    private static async Task WaitUntilNoAlarmAsync(dotnet_etcd.EtcdClient client)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while ((await client.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get })).Alarms.Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the alarmed cluster was not recovered within 2 minutes");
            }
            await Task.Delay(200);
        }
    }
}
