using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Operator.Controller.Status;

namespace EtcdHygiene.Operator.Tests.Controller;

[Trait("Etcd", "AnyVersion")]
public sealed class StatusChangesTests
{
    [Fact]
    public void RevisionSamples_SurviveStatusWithoutLosingPrecision()
    {
        var at = new DateTimeOffset(2026, 11, 25, 12, 0, 0, 900, TimeSpan.Zero);
        var status = new Core.Api.RegistryPolicyStatus
        {
            RevisionSamples = [new() { Time = at.UtcDateTime.ToString("o"), Revision = 42 }],
        };

        var state = KeptStateStatus.Read(status);

        // Rounding down to 12:00:00 would make the sample look older and let compaction
        // drop history that is still inside the retention window.
        Assert.Equal([new RevisionSample(at, 42)], state.Samples);
    }

    [Fact]
    public void ThePauseBetweenMembers_SurvivesARestart_ThroughStatusAndTheStateFile()
    {
        // A defragmentation whose end was not seen, its member seen answering 30 s later: a new
        // process (the operator reading status, run reading its state file) waits the same pause.
        var started = new DateTimeOffset(2026, 11, 25, 12, 0, 0, 250, TimeSpan.Zero);
        var state = new HygieneState
        {
            LastDefragTime = started.AddMinutes(-3),
            UnfinishedDefrag = new DefragStart("2", "m2", started, SeenOverAt: started.AddSeconds(30)),
        };
        var now = started.AddSeconds(34);
        var pause = TimeSpan.FromSeconds(10);
        var fromStatus = KeptStateStatus.Read(StatusChanges.WithState(state)(new Core.Api.RegistryPolicyStatus()));
        using var folder = new Testing.Cli.PolicyFolder();
        var files = new Operator.Standalone.StateFiles(folder.StateDirectory);
        var key = new PolicyKey("default", "registry");
        files.Save(key, state);
        var fromFile = files.Load(key);

        Assert.Equal(TimeSpan.FromSeconds(6), DefragPause.Left(pause, state, now));
        Assert.Equal(TimeSpan.FromSeconds(6), DefragPause.Left(pause, fromStatus, now));
        Assert.Equal(TimeSpan.FromSeconds(6), DefragPause.Left(pause, fromFile, now));
    }

    [Fact]
    public void Conditions_KeepTheirTransitionTime_UntilTheyFlip()
    {
        var conditions = new List<Core.Api.PolicyCondition>();
        var t0 = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

        Conditions.Set(conditions, ConditionType.Ready, true, ConditionReason.CycleSucceeded, "a", 1, t0);
        Conditions.Set(conditions, ConditionType.Ready, true, ConditionReason.CycleSucceeded, "b", 2, t0.AddMinutes(5));
        var unchanged = conditions.Single().LastTransitionTime;
        Conditions.Set(conditions, ConditionType.Ready, false, ConditionReason.NoSpaceAlarm, "c", 2, t0.AddMinutes(9));

        Assert.Equal("2026-11-25T12:00:00Z", unchanged);
        var flipped = Assert.Single(conditions);
        Assert.Equal(("False", "NoSpaceAlarm", "2026-11-25T12:09:00Z", 2L), (flipped.Status, flipped.Reason, flipped.LastTransitionTime, flipped.ObservedGeneration!.Value));
    }

    [Fact]
    public void Findings_FillHotKeysForecastAndChurnDetected()
    {
        var t0 = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        var analyzer = new Core.Analysis.ChurnAnalyzer(new Core.Analysis.ChurnAnalyzerOptions(), t0);
        for (var i = 0; i < 240; i++)
        {
            var value = i % 2 == 0 ? """{"a":[1,2]}""" : """{"a":[2,1]}""";
            analyzer.Record("/micro/registry/greeter/n1"u8, System.Text.Encoding.UTF8.GetBytes(value), 7, i + 1, i + 1, false, t0.AddSeconds(i / 4.0));
        }
        var report = analyzer.Report(t0.AddMinutes(1));

        var status = StatusChanges.WithFindings(new Core.Api.RegistryPolicyStatus(), 3, report, problem: null,
            new Core.Analysis.Forecast(7_200_000, t0.AddHours(5)), t0.AddMinutes(1));

        var hot = Assert.Single(status.HotKeys!);
        Assert.Equal(("/micro/registry/greeter/*", 240L, 240L, "0.00", "1.00", "0.00"),
            (hot.KeyGroup, hot.Writes!.Value, hot.WritesPerMinute!.Value, hot.IdenticalRatio, hot.ReorderOnlyRatio, hot.LeaseRecreatedRatio));
        Assert.Equal((7_200_000L, "2026-11-25T17:00:00Z"), (status.Forecast!.BytesPerHour!.Value, status.Forecast.QuotaReachedAt));
        var churn = Assert.Single(status.Conditions!);
        Assert.Equal(("ChurnDetected", "True", "NoOpRewrites", 3L), (churn.Type, churn.Status, churn.Reason, churn.ObservedGeneration!.Value));
        Assert.StartsWith("/micro/registry/greeter/* is rewritten 240 times a minute; 99% of the writes only reorder $.a: " +
            "the writer serialises an unordered collection (a map or a set) — sort it before registering", churn.Message);
        Assert.Equal((true, churn.Message, "1.00"), (hot.Churning, hot.Diagnosis, hot.HistoryShare));
        var flipping = Assert.Single(hot.FlippingPaths!);
        Assert.Equal(("$.a", "Reordered", 239L, 239L, "[0] 1, [1] 2", "[0] 2, [1] 1"),
            (flipping.Path, flipping.Kind, flipping.Writes!.Value, flipping.Examined!.Value, flipping.Before, flipping.After));

        var disabled = StatusChanges.WithFindings(new Core.Api.RegistryPolicyStatus(), 3, report: null, problem: null, forecast: null, t0);
        Assert.Equal(("False", "AnalysisDisabled"), (disabled.Conditions![0].Status, disabled.Conditions[0].Reason));
        Assert.Empty(disabled.HotKeys!);

        var blind = StatusChanges.WithFindings(new Core.Api.RegistryPolicyStatus(), 3, new Core.Analysis.ChurnAnalyzer(new(), t0).Report(t0), "etcd unreachable", null, t0);
        Assert.Equal(("Unknown", "AnalysisUnavailable"), (blind.Conditions![0].Status, blind.Conditions[0].Reason));
        // Writes read before a failure retrying cannot cure do not hide it; before a passing one they stand.
        var quiet = new Core.Analysis.ChurnAnalyzer(new(), t0);
        quiet.Record("/other/k"u8, "v"u8, 0, 1, 1, false, t0);
        var stuck = StatusChanges.WithFindings(new Core.Api.RegistryPolicyStatus(), 3, quiet.Report(t0), "permission denied", null, t0, stuck: true);
        Assert.Equal(("Unknown", "AnalysisUnavailable"), (stuck.Conditions![0].Status, stuck.Conditions[0].Reason));
        var passing = StatusChanges.WithFindings(new Core.Api.RegistryPolicyStatus(), 3, quiet.Report(t0), "etcd unreachable", null, t0);
        Assert.Equal(("False", "NoChurn"), (passing.Conditions![0].Status, passing.Conditions[0].Reason));
    }

    [Fact]
    public void TheClusterId_TravelsWithTheKeptState_AndAnotherClustersCompactedRevisionIsNotKept()
    {
        var status = new RegistryPolicyStatus { ClusterId = "abc", CompactedRevision = 6119, PreventionGaveUpAt = "2026-11-25T12:00:00Z" };

        var state = KeptStateStatus.Read(status);
        Assert.Equal(("abc", 6119L, new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero)), (state.ClusterId, state.LastCompactedRevision!.Value, state.PreventionGaveUpAt!.Value));

        // The cycle dropped it for another cluster: status follows, and keeps nothing of the old one.
        var written = StatusChanges.WithState(new HygieneState { ClusterId = "def" })(status);
        Assert.Equal(("def", (long?)null, (string?)null), (written.ClusterId, written.CompactedRevision, written.PreventionGaveUpAt));
    }

    [Fact]
    public void APolicyWaitingForAnotherProcess_SaysWhomInProgressing()
    {
        var now = new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
        var policy = new HygienePolicy
        {
            Key = new PolicyKey("default", "registry"),
            Etcd = new EtcdSettings { Endpoints = ["http://127.0.0.1:2379"] },
            Compaction = new CompactionSettings(),
            Defragmentation = new DefragmentationSettings(),
            Alarms = new AlarmSettings(),
            Analysis = new AnalysisSettings(),
        };
        var snapshot = new Core.Observation.ClusterSnapshot { ObservedAt = now, Members = [], Alarms = [] };
        Core.Execution.CycleResult Cycle(params PlanNote[] notes) => new()
        {
            Initial = snapshot, Final = snapshot, InitialPlan = new HygienePlan([], notes), Steps = [], Notes = notes,
            State = new HygieneState(), StartedAt = now, FinishedAt = now,
        };
        var waiting = new PlanNote(NoteCode.MaintainedElsewhere, "etcd-hygiene run on vm-3 (pid 812) maintains etcd cluster 5e3c (it holds the lock under /etcd-hygiene/maintainer/)");

        var status = StatusChanges.AfterCycle(policy, Cycle(waiting), now)(new Core.Api.RegistryPolicyStatus());
        var idle = StatusChanges.AfterCycle(policy, Cycle(), now)(new Core.Api.RegistryPolicyStatus());

        var progressing = status.Conditions!.Single(c => c.Type == ConditionType.Progressing);
        Assert.Equal((ConditionStatus.False, ConditionReason.MaintainedElsewhere, waiting.Message), (progressing.Status, progressing.Reason, progressing.Message));
        Assert.Equal(ConditionReason.Idle, idle.Conditions!.Single(c => c.Type == ConditionType.Progressing).Reason);
    }
}
