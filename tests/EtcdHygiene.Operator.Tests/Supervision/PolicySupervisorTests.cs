using System.Collections.Concurrent;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Controller;
using EtcdHygiene.Operator.Controller.Status;
using EtcdHygiene.Operator.Metrics;
using EtcdHygiene.Operator.Standalone;
using EtcdHygiene.Operator.Supervision;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Operator.Tests.Supervision;

/// <summary>
/// The per-policy runtime is written once; <c>run</c> and the operator give it only their state
/// store and their announcer. Driven here with each front end's pair, at NOSPACE on real etcd, it
/// must do the same things in the same order and leave the same state, told each front end's way.
/// </summary>
public sealed class PolicySupervisorTests
{
    private const long MiB = 1024 * 1024;

    [Theory]
    [InlineData("run")]
    [InlineData("operator")]
    public async Task AtNoSpace_EitherFrontEnd_Recovers_SavesProgress_AndTellsTheEvidenceBeforeTheCompaction(string frontEnd)
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 16 * MiB });
        await new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions { Services = 10, NodesPerService = 5, Writers = 8 }).FillUntilNoSpaceAsync();
        using var folder = new PolicyFolder();
        var policy = PolicyFileReader.Load(folder.Write("registry", cluster.ClientUrls, """
              defragmentation: { pauseBetweenMembers: 1s }
              analysis: { prefixes: ["/micro/registry/"] }
            """));
        var options = new EtcdConnectionOptions { Endpoints = policy.Etcd.Endpoints, RequestTimeout = policy.Etcd.RequestTimeout, DefragTimeout = policy.Etcd.DefragTimeout };
        var registry = new Prometheus.CollectorRegistry();
        await using var front = await FrontEnd.CreateAsync(frontEnd, policy, folder);
        var recorder = new Recorder(front.Store, front.Announcer);
        await using var supervisor = new PolicySupervisor(policy.Key, TimeProvider.System, NullLoggerFactory.Instance, new HygieneMetrics(registry), new EtcdClientPool());

        var cycle = await supervisor.RunCycleAsync(policy, options, recorder, recorder, CancellationToken.None);

        // What the runtime did: recovered, and the next cycle comes at the interval again.
        Assert.True(cycle.Result.Succeeded, string.Join("; ", cycle.Result.Steps.Select(s => s.Error)));
        Assert.Empty(cycle.Result.Final.Alarms);
        Assert.Equal(policy.Compaction.Interval, cycle.NextCycleIn);
        var defragmented = cycle.Result.Steps.Where(s => s.Step.Kind == StepKind.Defragment).Select(s => s.Step.MemberName ?? "").ToList();
        Assert.Equal(3, defragmented.Count);

        // The evidence was told before the compaction destroyed it: before any state was saved,
        // and the first save is the compaction's.
        var calls = recorder.Calls.ToList();
        Assert.Equal("evidence", calls[0].Call);
        Assert.True(calls[0].Findings!.Report!.Events > 0, "the analysis read no history before the compaction");
        Assert.NotNull(calls[1].State?.LastCompactedRevision);
        // Progress was saved before each defragmentation (unfinished) and after it (done).
        var unfinished = calls.Where(c => c.State?.UnfinishedDefrag is not null).Select(c => c.State!.UnfinishedDefrag!.MemberName).Distinct().ToList();
        Assert.Equal(defragmented, unfinished);
        Assert.Equal(("finished", "save"), (calls[^2].Call, calls[^1].Call));

        // Where state lives holds what the cycle ended with, read back as a restarted process would.
        var saved = front.ReadBack();
        Assert.Equal(3, saved.LastDefragTimes.Count);
        Assert.Null(saved.UnfinishedDefrag);
        Assert.Equal(cycle.Result.State.LastCompactedRevision, saved.LastCompactedRevision);
        Assert.Equal(cycle.Result.State.Samples, saved.Samples);
        // Bound to this cluster: state another cluster left behind these endpoints would be dropped.
        Assert.Equal(cycle.Result.Final.ClusterId!.Value.ToString("x"), saved.ClusterId);

        // Metrics come from the runtime, whichever front end.
        var scrape = await OperatorFixture.ScrapeAsync(registry);
        Assert.Equal(3, scrape.Split('\n').Count(l => l.StartsWith("etcd_hygiene_defrags_total{") && l.Contains("result=\"success\"") && l.EndsWith(" 1")));
        Assert.Contains("etcd_hygiene_analyzed_writes_total{namespace=\"default\",policy=\"registry\"}", scrape);

        // Told the front end's way.
        front.AssertToldTheRecovery();
    }

    /// <summary>A front end's store and announcer, and how to check what it told.</summary>
    private abstract class FrontEnd : IAsyncDisposable
    {
        public abstract IPolicyStateStore Store { get; }

        public abstract IFindingsAnnouncer Announcer { get; }

        public abstract void AssertToldTheRecovery();

        public abstract HygieneState ReadBack();

        public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public static async Task<FrontEnd> CreateAsync(string name, HygienePolicy policy, PolicyFolder folder) =>
            name == "run" ? new Run(policy, folder) : await Kubernetes.CreateAsync(policy);
    }

    /// <summary><c>run</c>: a state file, log lines.</summary>
    private sealed class Run : FrontEnd
    {
        private readonly CapturedLogs _logs = new();
        private readonly HygienePolicy _policy;
        private readonly PolicyFolder _folder;

        public Run(HygienePolicy policy, PolicyFolder folder)
        {
            (_policy, _folder) = (policy, folder);
            Store = new StateFileStore(new StateFiles(folder.StateDirectory), policy.Key);
            Announcer = new LogAnnouncer(_logs.Factory().CreateLogger("run"));
        }

        public override IPolicyStateStore Store { get; }

        public override IFindingsAnnouncer Announcer { get; }

        public override HygieneState ReadBack() => new StateFiles(_folder.StateDirectory).Load(_policy.Key);

        public override void AssertToldTheRecovery()
        {
            Assert.True(File.Exists(new StateFiles(_folder.StateDirectory).PathOf(_policy.Key)));
            Assert.Contains(_logs.Lines, l => l.Contains("Policy default/registry: cycle succeeded") && l.Contains("alarms none"));
        }
    }

    /// <summary>The operator: the RegistryPolicy's status, conditions and events.</summary>
    private sealed class Kubernetes(OperatorFixture kube, PolicyStatusWriter status, IFindingsAnnouncer announcer) : FrontEnd
    {
        public override IPolicyStateStore Store { get; } = new StatusStateStore(status);

        public override IFindingsAnnouncer Announcer => announcer;

        public static async Task<FrontEnd> CreateAsync(HygienePolicy policy)
        {
            var kube = await OperatorFixture.StartAsync();
            var applied = kube.Api.Apply(OperatorFixture.Policies, policy.Key.Namespace, new System.Text.Json.Nodes.JsonObject
            {
                ["apiVersion"] = $"{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}",
                ["kind"] = "RegistryPolicy",
                ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = policy.Key.Name },
                ["spec"] = new System.Text.Json.Nodes.JsonObject { ["etcd"] = new System.Text.Json.Nodes.JsonObject { ["endpoints"] = new System.Text.Json.Nodes.JsonArray("http://127.0.0.1:1") } },
            });
            var subject = new V1ObjectReference
            {
                ApiVersion = $"{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}",
                Kind = "RegistryPolicy",
                Name = policy.Key.Name,
                NamespaceProperty = policy.Key.Namespace,
                Uid = (string?)applied["metadata"]!["uid"],
            };
            var status = new PolicyStatusWriter(
                new StatusPatcher(kube.Connection, RegistryPolicyCrd.Group, RegistryPolicyCrd.Version, RegistryPolicyCrd.Plural, EtcdHygiene.Core.Api.ApiJson.Default, NullLogger.Instance), policy.Key, current: null, (string)applied["metadata"]!["resourceVersion"]!);
            var events = new EventRecorder(kube.Connection, "etcd-hygiene", TimeProvider.System, NullLogger.Instance);
            return new Kubernetes(kube, status, new ConditionsAndEventsAnnouncer(status, events, subject, TimeProvider.System, NullLogger.Instance));
        }

        public override HygieneState ReadBack() =>
            KeptStateStatus.Read(System.Text.Json.JsonSerializer.Deserialize<RegistryPolicyStatus>(
                kube.Api.Get(OperatorFixture.Policies, "default", "registry")!["status"]!.ToJsonString(), new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)));

        public override void AssertToldTheRecovery()
        {
            var stored = kube.Api.Get(OperatorFixture.Policies, "default", "registry")!["status"]!;
            var ready = stored["conditions"]!.AsArray().Single(c => (string?)c!["type"] == ConditionType.Ready)!;
            Assert.Equal((ConditionStatus.True, ConditionReason.CycleSucceeded), ((string?)ready["status"], (string?)ready["reason"]));
            Assert.NotEmpty(stored["hotKeys"]!.AsArray());
            var reasons = kube.Api.List(OperatorFixture.Events).Select(e => (string?)e["reason"]).ToList();
            Assert.Equal(3, kube.EventCount("registry", EventReason.Defragmented));
            Assert.Contains(EventReason.NoSpaceDisarmed, reasons);
            Assert.Contains(nameof(NoteCode.NoSpaceAlarm), reasons);
        }

        public override ValueTask DisposeAsync() => kube.DisposeAsync();
    }

    /// <summary>Passes every call on to a front end's store and announcer, and remembers their order.</summary>
    private sealed class Recorder(IPolicyStateStore store, IFindingsAnnouncer announcer) : IPolicyStateStore, IFindingsAnnouncer
    {
        public ConcurrentQueue<(string Call, HygieneState? State, ChurnFindings? Findings)> Calls { get; } = new();

        public Task<HygieneState> LoadAsync(CancellationToken cancellationToken) => store.LoadAsync(cancellationToken);

        public Task SaveAsync(HygieneState state)
        {
            Calls.Enqueue(("save", state, null));
            return store.SaveAsync(state);
        }

        public Task BeforeNoSpaceCompactionAsync(HygienePolicy policy, ChurnFindings findings)
        {
            Calls.Enqueue(("evidence", null, findings));
            return announcer.BeforeNoSpaceCompactionAsync(policy, findings);
        }

        public Task CycleFinishedAsync(HygienePolicy policy, CycleResult result, ChurnFindings findings)
        {
            Calls.Enqueue(("finished", null, findings));
            return announcer.CycleFinishedAsync(policy, result, findings);
        }
    }
}
