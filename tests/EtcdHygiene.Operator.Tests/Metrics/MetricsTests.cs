using EtcdHygiene.Core.Analysis;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Operator.Metrics;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;
using Prometheus;

namespace EtcdHygiene.Operator.Tests.Metrics;

/// <summary>Metrics, alert rules and dashboard, checked with Prometheus' own tools.</summary>
public sealed partial class MetricsTests
{
    private static readonly string Root = RepositoryRoot.Find();

    [Fact]
    public async Task TheAlertRules_PassPromtoolsCheck_AndTheirUnitTests()
    {
        var directory = Path.Combine(Root, "config", "prometheus");

        var check = await ExternalTool.RunAsync("promtool", ["check", "rules", "etcd-hygiene-rules.yaml"], directory);
        var test = await ExternalTool.RunAsync("promtool", ["test", "rules", "etcd-hygiene-rules.test.yaml"], directory);

        Assert.True(check.ExitCode == 0, check.Output + check.Errors);
        Assert.Contains("SUCCESS: 7 rules found", check.Output);
        Assert.True(test.ExitCode == 0, test.Output + test.Errors);
    }

    [Fact]
    public async Task EveryFamily_IsExported_AndForgettingAPolicyRemovesItsSeries()
    {
        var registry = new CollectorRegistry();
        var metrics = new HygieneMetrics(registry);
        var policy = Policy("registry", "etcd");
        var other = Policy("registry", "other");

        metrics.Record(policy, Cycle(succeeded: true));
        metrics.Record(other, Cycle(succeeded: false));
        var now = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        metrics.RecordFindings(policy.Key, Churn(now, "/r/a/k", "/r/b/k"), new Forecast(3600, now.AddHours(2)), now);
        var text = await OperatorFixture.ScrapeAsync(registry);

        Assert.Equal(ExpectedFamilies.Order(), Families(text));
        Assert.Contains("etcd_hygiene_key_group_writes_per_minute{namespace=\"registry\",policy=\"etcd\",key_group=\"/r/a/*\"} 50", text);
        Assert.Contains("etcd_hygiene_key_group_noop_ratio{namespace=\"registry\",policy=\"etcd\",key_group=\"/r/a/*\"} 0.98", text);
        Assert.Contains("etcd_hygiene_quota_exhaustion_seconds{namespace=\"registry\",policy=\"etcd\"} 7200", text);
        Assert.Contains("etcd_hygiene_analyzed_writes_total{namespace=\"registry\",policy=\"etcd\"} 100", text);

        // A group that leaves the top loses its series; a forecast that stops growing drops the ETA.
        metrics.RecordFindings(policy.Key, Churn(now, "/r/b/k"), new Forecast(-10, null), now);
        var later = await OperatorFixture.ScrapeAsync(registry);
        Assert.DoesNotContain("key_group=\"/r/a/*\"", later);
        Assert.Contains("key_group=\"/r/b/*\"", later);
        Assert.DoesNotContain("etcd_hygiene_quota_exhaustion_seconds{", later);
        Assert.Contains("etcd_hygiene_member_db_size_bytes{namespace=\"registry\",policy=\"etcd\",member=\"m1\"} 1048576", text);
        Assert.Contains("etcd_hygiene_alarm_active{namespace=\"registry\",policy=\"etcd\",member=\"m1\",alarm=\"NOSPACE\"} 1", text);
        Assert.Contains("etcd_hygiene_member_info{namespace=\"registry\",policy=\"etcd\",member=\"m1\",version=\"3.4.23\"} 1", text);
        Assert.Contains("etcd_hygiene_defrags_total{namespace=\"registry\",policy=\"etcd\",member=\"m1\",result=\"success\"} 1", text);
        Assert.Contains("etcd_hygiene_reclaimed_bytes_total{namespace=\"registry\",policy=\"etcd\"} 4096", text);
        Assert.Contains("etcd_hygiene_cycle_errors_total{namespace=\"registry\",policy=\"other\"} 1", text);

        metrics.Forget(policy.Key);
        var after = await OperatorFixture.ScrapeAsync(registry);
        Assert.DoesNotContain("policy=\"etcd\"", after);
        Assert.Contains("policy=\"other\"", after);
        // What the absent-operator alert looks for stays, whatever the policies.
        Assert.Matches("etcd_hygiene_build_info\\{version=\"[^\"]+\"\\} 1", after);
    }

    [Fact]
    public async Task AMemberThatUpgrades_IsShownWithItsNewVersionOnly()
    {
        var registry = new CollectorRegistry();
        var metrics = new HygieneMetrics(registry);
        var policy = Policy("registry", "etcd");

        metrics.Record(policy, Cycle(succeeded: true, version: "3.4.23"));
        metrics.Record(policy, Cycle(succeeded: true, version: "3.5.30"));
        var text = await OperatorFixture.ScrapeAsync(registry);

        Assert.Contains("etcd_hygiene_member_info{namespace=\"registry\",policy=\"etcd\",member=\"m1\",version=\"3.5.30\"} 1", text);
        Assert.DoesNotContain("version=\"3.4.23\"", text);
    }

    [Fact]
    public async Task TheDashboard_QueriesOnlyExportedMetrics()
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "config", "grafana", "etcd-hygiene-dashboard.json")))!;
        var expressions = dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray().Select(t => (string)t!["expr"]!))
            .Concat(dashboard["templating"]!["list"]!.AsArray().Select(v => (string?)v!["query"]).OfType<string>())
            .ToList();
        var exported = ExpectedFamilies.SelectMany(f => new[] { f, f + "_bucket", f + "_sum", f + "_count" }).ToHashSet();

        Assert.NotEmpty(expressions);
        var unknown = expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).Where(n => !exported.Contains(n)).Distinct().ToList();
        Assert.Empty(unknown);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task ARealPrometheus_ScrapesRun_SeesWhatEtcdctlSees_AndTheDefragCounterRises()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        using var folder = new PolicyFolder();
        var ports = FreePorts.Take(2);
        var policy = folder.Write("scraped", cluster.ClientUrls, """
              compaction: { mode: Revision, retainRevisions: 10, interval: 1s }
              defragmentation: { rule: { minFragmentationRatio: 0.3, minDbSizeBytes: 1Mi, minReclaimableBytes: 512Ki }, pauseBetweenMembers: 0s }
              analysis: { prefixes: ["/garbage/"] }
            """);
        await using var run = CliProcess.Start("run", "--policy", policy, "--state-dir", folder.StateDirectory, "--metrics-bind-address", $"127.0.0.1:{ports[0]}");
        await run.WaitForTextAsync("cycle succeeded", TimeSpan.FromSeconds(30));

        using var http = new HttpClient();
        var scrape = await http.GetStringAsync($"http://127.0.0.1:{ports[0]}/metrics");
        var check = await ExternalTool.RunAsync("promtool", ["check", "metrics"], input: scrape);
        Assert.True(check.ExitCode == 0, check.Output + check.Errors);
        Assert.Equal("", (check.Output + check.Errors).Trim());

        var config = Path.Combine(folder.Path, "prometheus.yml");
        File.WriteAllText(config, $"""
            global: {"{"} scrape_interval: 1s, evaluation_interval: 1s {"}"}
            scrape_configs:
              - job_name: etcd-hygiene
                static_configs: [{"{"} targets: ["127.0.0.1:{ports[0]}"] {"}"}]
            """);
        await using var prometheus = ServerProcess.Start("prometheus", "--config.file", config, "--storage.tsdb.path", Path.Combine(folder.Path, "tsdb"),
            "--web.listen-address", $"127.0.0.1:{ports[1]}");
        var api = $"http://127.0.0.1:{ports[1]}/api/v1/query?query=";

        // Waits for what it asserts: a member's file may still grow by a page (the cluster lock's key,
        // written at the first cycle's first look) after a scrape; the status poll then reports it.
        var idsByName = (await new Etcd.EtcdClusterConnection(new Etcd.EtcdConnectionOptions { Endpoints = cluster.ClientUrls }).ObserveAsync()).Members.ToDictionary(m => m.Name, m => m.HexId);
        List<(string, long)> expected = [];
        var sizes = await WaitForAsync(async () =>
        {
            var result = await QueryAsync(http, api + "etcd_hygiene_member_db_size_bytes");
            expected = (await Etcdctl.EndpointStatusAsync(cluster)).Select(e => (e.Id, e.DbSize)).OrderBy(e => e.Id).ToList();
            return result.Count == 3 && expected.SequenceEqual(result.Select(s => (idsByName[s.Member], (long)s.Value)).OrderBy(e => e.Item1)) ? result : null;
        }, prometheus);
        Assert.Equal(expected, sizes.Select(s => (idsByName[s.Member], (long)s.Value)).OrderBy(e => e.Item1));

        await EtcdData.FragmentAsync(cluster.CreateClient());
        // etcd shows pages freed by a compaction as free only after later writes: keep a registry
        // writing (elsewhere) so the fragmentation, and then the defragmentations, show.
        using var stopWriting = new CancellationTokenSource();
        var writing = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions
        {
            Services = 2, NodesPerService = 2, Writers = 1, ReRegisterInterval = TimeSpan.FromMilliseconds(50), Prefix = "/live/",
        }).RunAsync(stopWriting.Token);
        var defrags = await WaitForAsync(async () =>
        {
            var result = await QueryAsync(http, api + "sum(etcd_hygiene_defrags_total{result=\"success\"})");
            return result.Count == 1 && result[0].Value >= 3 ? result : null;
        }, prometheus);
        await stopWriting.CancelAsync();
        await writing;
        Assert.True(defrags[0].Value >= 3);

        // The fragmenting writes repeat the same bytes after creating each key (1 write in 8): the
        // analysis reports their group as no-op churn. The ratio climbs while the analysis counts
        // the writes (CI once read 0.82 on the way): wait for the value asserted, then check it
        // does not pass 7 in 8 (nothing counted twice).
        var noOp = await WaitForAsync(async () =>
        {
            var result = await QueryAsync(http, api + "etcd_hygiene_key_group_noop_ratio{key_group=\"/garbage/*\"}");
            return result.Count == 1 && result[0].Value >= 0.85 ? result : null;
        }, prometheus);
        Assert.InRange(noOp[0].Value, 0.85, 0.9);
        var withFindings = await ExternalTool.RunAsync("promtool", ["check", "metrics"], input: await http.GetStringAsync($"http://127.0.0.1:{ports[0]}/metrics"));
        Assert.True(withFindings.ExitCode == 0 && (withFindings.Output + withFindings.Errors).Trim() == "", withFindings.Output + withFindings.Errors);
    }

    private static readonly string[] ExpectedFamilies =
    [
        "etcd_hygiene_build_info", "etcd_hygiene_alarm_active", "etcd_hygiene_alarm_disarms_total", "etcd_hygiene_compactions_total", "etcd_hygiene_cycle_duration_seconds",
        "etcd_hygiene_cycle_errors_total", "etcd_hygiene_defrag_duration_seconds", "etcd_hygiene_defrags_total", "etcd_hygiene_last_successful_cycle_timestamp_seconds",
        "etcd_hygiene_member_db_size_bytes", "etcd_hygiene_member_db_size_in_use_bytes", "etcd_hygiene_member_fragmentation_ratio", "etcd_hygiene_member_info", "etcd_hygiene_member_is_leader",
        "etcd_hygiene_member_quota_bytes", "etcd_hygiene_member_up", "etcd_hygiene_reclaimed_bytes_total",
        "etcd_hygiene_analyzed_writes_total", "etcd_hygiene_db_growth_bytes_per_hour", "etcd_hygiene_key_group_history_bytes_per_hour",
        "etcd_hygiene_key_group_noop_ratio", "etcd_hygiene_key_group_writes_per_minute", "etcd_hygiene_quota_exhaustion_seconds",
    ];

    private static async Task<List<(string Member, double Value)>> QueryAsync(HttpClient http, string url)
    {
        var body = JsonNode.Parse(await http.GetStringAsync(url))!;
        return body["data"]!["result"]!.AsArray()
            .Select(r => ((string?)r!["metric"]!["member"] ?? "", double.Parse((string)r["value"]![1]!, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, ServerProcess server) where T : class
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (HttpRequestException)
            {
                // Prometheus is still starting.
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"Prometheus never answered as expected. Its log:{Environment.NewLine}{server.Log}");
    }

    private static string[] Families(string text) =>
        text.Split('\n').Where(l => l.StartsWith("# TYPE ")).Select(l => l.Split(' ')[2]).Order().ToArray();

    /// <summary>A minute of 50 writes (one changing, the rest identical) to each of <paramref name="keys"/>.</summary>
    private static ChurnReport Churn(DateTimeOffset now, params string[] keys)
    {
        var analyzer = new ChurnAnalyzer(new ChurnAnalyzerOptions(), now.AddMinutes(-1));
        var revision = 0;
        foreach (var key in keys)
        {
            for (var i = 0; i < 50; i++)
            {
                analyzer.Record(System.Text.Encoding.UTF8.GetBytes(key), System.Text.Encoding.UTF8.GetBytes("{}"), 1, i + 1, ++revision, false, now.AddSeconds(-30));
            }
        }
        return analyzer.Report(now);
    }

    private static HygienePolicy Policy(string ns, string name) => new()
    {
        Key = new PolicyKey(ns, name),
        Etcd = new EtcdSettings { Endpoints = ["http://127.0.0.1:2379"] },
        Compaction = new CompactionSettings(),
        Defragmentation = new DefragmentationSettings(),
        Alarms = new AlarmSettings(),
        Analysis = new AnalysisSettings(),
    };

    /// <summary>A cycle that compacted, defragmented and disarmed, on a member at NOSPACE.</summary>
    private static CycleResult Cycle(bool succeeded, string version = "3.4.23")
    {
        var member = new MemberSnapshot
        {
            Id = 1,
            Name = "m1",
            AdvertisedClientUrls = ["http://127.0.0.1:2379"],
            IsLearner = false,
            Endpoint = "http://127.0.0.1:2379",
            Status = new MemberStatus { Version = version, DbSizeBytes = 1 << 20, DbSizeInUseBytes = 1 << 19, Revision = 10, LeaderId = 1, RaftIndex = 5, RaftTerm = 2 },
            Health = MemberHealth.Healthy,
            QuotaBytes = 2 << 20,
        };
        var snapshot = new ClusterSnapshot { ObservedAt = DateTimeOffset.UnixEpoch, Members = [member], Alarms = [new ActiveAlarm(1, AlarmKind.NoSpace)] };
        var steps = new List<StepOutcome>
        {
            new() { Step = new HygieneStep { Kind = StepKind.Compact, Revision = 9, Compaction = CompactionKind.Emergency, Reason = "r" }, Result = StepResult.Succeeded },
            new() { Step = new HygieneStep { Kind = StepKind.Defragment, MemberId = 1, MemberName = "m1", Reason = "r" }, Result = succeeded ? StepResult.Succeeded : StepResult.Failed, Duration = TimeSpan.FromMilliseconds(20), ReclaimedBytes = 4096 },
            new() { Step = new HygieneStep { Kind = StepKind.DisarmNoSpace, MemberId = 1, MemberName = "m1", Reason = "r" }, Result = StepResult.Succeeded },
        };
        return new CycleResult
        {
            Initial = snapshot,
            Final = snapshot,
            InitialPlan = new HygienePlan([], []),
            Steps = steps,
            Notes = [],
            State = new HygieneState(),
            StartedAt = DateTimeOffset.UnixEpoch,
            FinishedAt = DateTimeOffset.UnixEpoch.AddSeconds(2),
        };
    }

    [GeneratedRegex("etcd_hygiene_[a-z_]+")]
    private static partial Regex MetricName();
}
