using EtcdHygiene.Operator.Standalone;
using System.Text.Json.Nodes;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Controller;
using EtcdHygiene.Operator.Metrics;
using EtcdHygiene.Operator.Supervision;
using EtcdHygiene.Operator.Supervision.Lanes;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Kubernetes;
using EtcdHygiene.Testing.Workloads;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Bench;

/// <summary>
/// Scenario 9: what one policy at the defaults writes into the Kubernetes API server's etcd as
/// Events in an hour. The operator's own runtime for one policy — the runner, its cycles, status as
/// its state, conditions and events as its announcer, the event recorder — against the test API
/// server, on a real 3-member etcd cluster that registries keep rewriting, with every clock of the
/// operator <see cref="Scale"/> times faster, so that the hour passes in minutes. The baseline,
/// measured in the same run: the events the policy told. Before aggregation by reason, each of them
/// was an Event object of its own, since their messages carry revisions and sizes.
/// </summary>
internal static class EventsBenchmark
{
    private const double Scale = 30;
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    public static async Task<(Report Report, Dictionary<string, double> Keys)> RunAsync()
    {
        var report = new Report("9. Events written to the Kubernetes API server");
        Console.WriteLine($"  one policy at the defaults for two simulated hours, the second measured ({2 * Hour.TotalMinutes / Scale:0} minutes at {Scale:0}×)");
        var (told, created, dropped, byReason) = await OneHourAsync();
        var keys = new Dictionary<string, double>
        {
            ["operator_event_objects_per_policy_hour"] = created,
            ["operator_events_told_per_policy_hour"] = told,
        };
        report.Line($"One RegistryPolicy naming only the endpoints of a 3-member etcd cluster that registries keep rewriting, run by the operator's runtime " +
            $"(runner, cycles, status, event recorder) against the test API server, its clocks {Scale:0} times faster than real time: an hour to warm up " +
            "(with the default retention of an hour there is nothing to compact before), then the hour measured. " +
            "Told: the events the policy's cycles reported; objects: the Event objects the recorder created, which is what lands in the API server's etcd " +
            "(an update of an object's count lands too, but replaces its previous version).");
        report.Line("");
        report.Table(["per policy per hour", "events told (each an object before)", "Event objects created", "dropped by the rate limit", "objects / told"],
            [["at the defaults", told.ToString(), created.ToString(), dropped.ToString(), Report.Ratio(told == 0 ? 0 : (double)created / told)]]);
        report.Line("");
        report.Line($"Told, by reason: {string.Join(", ", byReason.Where(r => r.Value > 0).Select(r => $"{r.Key} {r.Value}"))}. At 1,000 policies: {told * 1000:N0} Event objects an hour before, {created * 1000:N0} now.");
        report.Line("");
        return (report, keys);
    }

    private static async Task<(long Told, long Created, long Dropped, SortedDictionary<string, int> ByReason)> OneHourAsync()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        using var stopWriting = new CancellationTokenSource();
        var writing = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions { Services = 10, NodesPerService = 3, Writers = 2 }).RunAsync(stopWriting.Token);
        await using var api = await FakeKubernetesApi.StartAsync();
        var kind = new ResourceKind($"apis/{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}", RegistryPolicyCrd.Plural);
        using var folder = new PolicyFolder();
        var policy = PolicyFileReader.Load(folder.WriteDefaults("registry", cluster.ClientUrls));
        var applied = api.Apply(kind, policy.Key.Namespace, new JsonObject
        {
            ["apiVersion"] = $"{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}",
            ["kind"] = "RegistryPolicy",
            ["metadata"] = new JsonObject { ["name"] = policy.Key.Name },
            ["spec"] = new JsonObject { ["etcd"] = new JsonObject { ["endpoints"] = new JsonArray(cluster.ClientUrls.Select(u => (JsonNode)u).ToArray()) } },
        });
        var subject = new V1ObjectReference
        {
            ApiVersion = $"{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}", Kind = "RegistryPolicy",
            Name = policy.Key.Name, NamespaceProperty = policy.Key.Namespace, Uid = (string?)applied["metadata"]!["uid"],
        };

        var time = new ScaledTimeProvider(Scale);
        var logging = NullLoggerFactory.Instance;
        var client = KubernetesApi.Create(new KubernetesClientConfiguration { Host = api.Url });
        var patcher = new StatusPatcher(client, RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, RegistryPolicyCrd.Plural, EtcdHygiene.Core.Api.ApiJson.Default, NullLogger.Instance);
        var events = new EventRecorder(client, "etcd-hygiene", time, NullLogger.Instance);
        var clients = new EtcdClientPool();
        long told, created, dropped;
        SortedDictionary<string, int> byReason;
        await using (var lanes = new ClusterLanes(clients, time, logging, "bench"))
        await using (var runners = new PolicyRunners(time, logging, new HygieneMetrics(new Prometheus.CollectorRegistry()), clients, lanes))
        {
            await runners.For(policy.Key).EnsureAsync(policy.Generation, policy,
                new StatusFrontEnd(policy.Key, policy.Generation, policy, subject, new SecretReader(client), patcher, events, time, NullLogger.Instance));
            await Task.Delay(Hour, time);
            var (toldBefore, createdBefore, droppedBefore) = (events.Recorded, events.Created, events.Dropped);
            var before = Told(api);
            var start = time.GetUtcNow();
            await Task.Delay(Hour, time);
            Console.WriteLine($"  warm-up hour: {toldBefore} told, {createdBefore} objects; the {(time.GetUtcNow() - start).TotalMinutes:0} simulated minutes after: " +
                $"{events.Recorded - toldBefore} told, {events.Created - createdBefore} objects");
            told = events.Recorded - toldBefore;
            created = events.Created - createdBefore;
            dropped = events.Dropped - droppedBefore;
            byReason = Told(api);
            foreach (var (reason, count) in before)
            {
                byReason[reason] -= count;
            }
        }
        await stopWriting.CancelAsync();
        await writing;
        return (told, created, dropped, byReason);
    }

    /// <summary>What the Event objects count, by reason.</summary>
    private static SortedDictionary<string, int> Told(FakeKubernetesApi api)
    {
        var byReason = new SortedDictionary<string, int>();
        foreach (var e in api.List(new ResourceKind("api/v1", "events")))
        {
            var reason = (string)e["reason"]!;
            byReason[reason] = byReason.GetValueOrDefault(reason) + (int)e["count"]!;
        }
        return byReason;
    }
}
