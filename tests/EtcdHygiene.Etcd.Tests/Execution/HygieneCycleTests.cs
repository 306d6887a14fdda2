using dotnet_etcd;
using Etcdserverpb;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Etcd.Tests.Execution;

/// <summary>The hygiene cycle against real 3-member clusters: the safety rules of docs/architecture.md, for real.</summary>
public sealed class HygieneCycleTests
{
    private const long MiB = 1024 * 1024;

    private static HygienePolicy PolicyFor(EtcdTestCluster cluster, Func<HygienePolicy, HygienePolicy>? change = null)
    {
        var policy = new HygienePolicy
        {
            Key = new PolicyKey("test", "cycle"),
            Etcd = new EtcdSettings { Endpoints = cluster.ClientUrls, RequestTimeout = TimeSpan.FromSeconds(3), DefragTimeout = TimeSpan.FromSeconds(30) },
            Compaction = new CompactionSettings(),
            Defragmentation = new DefragmentationSettings
            {
                MinFragmentationRatio = 0.3,
                MinDbSizeBytes = 1 * MiB,
                MinReclaimableBytes = MiB / 2,
                PauseBetweenMembers = TimeSpan.Zero,
            },
            Alarms = new AlarmSettings(),
            Analysis = new AnalysisSettings(),
        };
        return change is null ? policy : change(policy);
    }

    private static EtcdClusterConnection Connect(EtcdTestCluster cluster) =>
        new(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls, RequestTimeout = TimeSpan.FromSeconds(3), DefragTimeout = TimeSpan.FromSeconds(30) });

    private static Task<CycleResult> RunCycleAsync(EtcdClusterConnection etcd, HygienePolicy policy, HygieneState? state = null) =>
        new HygieneCycle(etcd, TimeProvider.System, NullLogger.Instance).RunAsync(policy, state ?? new HygieneState(), CancellationToken.None);

    [Fact]
    public async Task NoSpace_IsRecoveredByOneCycle_WithEveryKeyIntact_AndMembersAgreeing()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 16 * MiB });
        var client = cluster.CreateClient();
        var registry = new RegistryWorkload(client, new RegistryWorkloadOptions { Services = 10, NodesPerService = 5, Writers = 8 });
        await registry.FillUntilNoSpaceAsync();
        var before = await EtcdData.ReadAllAsync(client);
        await using var etcd = Connect(cluster);
        Assert.True((await etcd.ObserveAsync()).HasNoSpaceAlarm);

        // The defaults: Periodic, 1h retention, no samples yet, so only the Latest escalation can help.
        var result = await RunCycleAsync(etcd, DefaultPolicyFor(cluster));

        Assert.True(result.Succeeded, string.Join("; ", result.Steps.Select(s => s.Error)));
        Assert.Empty(result.Final.Alarms);
        var emergency = Assert.Single(result.Steps, s => s.Step.Kind == StepKind.Compact);
        Assert.Equal(CompactionKind.Emergency, emergency.Step.Compaction);
        Assert.Equal(3, result.Steps.Count(s => s.Step.Kind == StepKind.Defragment));
        Assert.True(result.ReclaimedBytes > 3 * 8 * MiB, $"reclaimed only {result.ReclaimedBytes} bytes");
        Assert.All(result.Final.Members, m => Assert.True(m.QuotaUsageRatio < 0.8));

        Assert.Equal(before, await EtcdData.ReadAllAsync(client));
        await client.PutAsync("/micro/registry/new/node", "registers again");
        await AssertMembersAgreeAsync(cluster);
    }

    /// <summary>The defaults, as PolicyFile gives them to a policy that names only its endpoints.</summary>
    private static HygienePolicy DefaultPolicyFor(EtcdTestCluster cluster) =>
        PolicyFile.Parse($"""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata: {"{"} name: defaults {"}"}
            spec:
              etcd: {"{"} endpoints: [{string.Join(", ", cluster.ClientUrls.Select(u => $"\"{u}\""))}] {"}"}
            """, "test");

    [Fact]
    public async Task RoutineMaintenance_AtTheDefaults_CompactsAnHourBack_AndDefragmentsADatabaseOver100MiB_OneMemberAtATime_LeaderLastInPlace_WithTheWholePause()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        var client = cluster.CreateClient();
        // About 120 MiB of history: 1,000 keys of 4 KB rewritten 30 times.
        await EtcdData.FragmentAsync(client, keys: 1_000, rounds: 30, prefix: "/registry/");
        var before = await EtcdData.ReadAllAsync(client);
        var policy = DefaultPolicyFor(cluster);
        await using var etcd = new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls });
        var revision = (await etcd.ObserveAsync()).Revision!.Value;
        // What the kept state holds an hour on: a revision sample older than the retention (1h).
        var state = new HygieneState { Samples = [new RevisionSample(DateTimeOffset.UtcNow.AddMinutes(-61), revision)] };
        await client.PutAsync("/registry/inside-the-window", "written within the hour");

        var result = await new HygieneCycle(etcd, TimeProvider.System, NullLogger.Instance).RunAsync(policy, state, CancellationToken.None);

        Assert.True(result.Succeeded, string.Join(" | ", result.Notes.Select(n => $"{n.Code}: {n.Message}")));
        var compaction = Assert.Single(result.Steps, s => s.Step.Kind == StepKind.Compact);
        Assert.Equal((CompactionKind.Retention, revision), (compaction.Step.Compaction!.Value, compaction.Step.Revision!.Value));
        var defrags = result.Steps.Where(s => s.Step.Kind == StepKind.Defragment).ToList();
        Assert.Equal(3, defrags.Count);
        // The default rule (45% fragmented, 100 MiB, 32 MiB reclaimable) chose them.
        Assert.All(defrags, d => Assert.Matches(@"fragmented: .* reclaimable", d.Step.Reason));
        Assert.All(result.Initial.Members, m => Assert.True(m.Status!.DbSizeBytes > 100 * MiB, $"{m.Name}: {m.Status.DbSizeBytes} bytes"));
        Assert.True(result.ReclaimedBytes > 3 * 32 * MiB, $"reclaimed only {result.ReclaimedBytes} bytes");
        // The leader last, in place: no leadership transfer, whose dropped proposals would cost registry writes.
        Assert.DoesNotContain(result.Steps, s => s.Step.Kind == StepKind.MoveLeader);
        Assert.Equal(result.Initial.Leader!.Id, defrags[^1].Step.MemberId);
        Assert.Equal(result.Initial.Leader.Id, result.Final.Leader!.Id);
        // From etcd's own logs: one at a time, and the default 10 s pause after each one really ended.
        var audit = new MaintenanceAudit(cluster);
        Assert.Equal(3, audit.Defragmentations.Count);
        Assert.Empty(audit.Overlaps());
        Assert.Empty(audit.ShortPauses(policy.Defragmentation.PauseBetweenMembers, _ => false));
        Assert.Equal([revision], audit.Compactions.Select(c => c.Revision));
        var after = await EtcdData.ReadAllAsync(client);
        Assert.Equal("written within the hour", after["/registry/inside-the-window"]);
        after.Remove("/registry/inside-the-window");
        Assert.Equal(before, after);
        await AssertMembersAgreeAsync(cluster);
    }

    [Fact]
    public async Task NoSpace_AtTheDefaults_WithAMemberStoppedFor2s_IsRecoveredOnceItAnswers_WithoutWaitingThePauseBetweenMembers()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 16 * MiB });
        var client = cluster.CreateClient();
        await new RegistryWorkload(client, new RegistryWorkloadOptions { Services = 10, NodesPerService = 5, Writers = 8 }).FillUntilNoSpaceAsync();
        var before = await EtcdData.ReadAllAsync(client);
        var policy = DefaultPolicyFor(cluster);
        await using var etcd = new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls });

        // Right when NOSPACE is raised, a member stops answering for 2 s (a loaded machine, a GC pause).
        var stopped = cluster.Members[1];
        stopped.Pause();
        var resuming = Task.Delay(TimeSpan.FromSeconds(2)).ContinueWith(_ => stopped.Resume());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await RunCycleAsync(etcd, policy);
        clock.Stop();
        await resuming;

        Assert.True(result.Succeeded, string.Join(" | ", result.Notes.Select(n => $"{n.Code}: {n.Message}")));
        Assert.Empty(result.Final.Alarms);
        Assert.Equal(3, result.Steps.Count(s => s.Step.Kind == StepKind.Defragment));
        // One step disarms every alarm.
        Assert.Single(result.Steps, s => s.Step.Kind == StepKind.DisarmNoSpace);
        // The default pause between members (10 s) is not waited while writes are refused.
        Assert.True(clock.Elapsed < policy.Defragmentation.PauseBetweenMembers, $"the recovery took {clock.Elapsed.TotalSeconds:0.0}s");
        Assert.Equal(before, await EtcdData.ReadAllAsync(client));
    }

    [Fact]
    public async Task Prevention_WhenTheLiveDataFillsTheQuota_SaysSoOnce_AndDoesNotLoop()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 16 * MiB });
        var client = cluster.CreateClient();
        await using var etcd = new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls });
        var policy = DefaultPolicyFor(cluster);
        // Live data only (every key distinct, never rewritten) up to the high-water mark: no history to give back.
        var value = ByteString.CopyFrom(new byte[16 * 1024]);
        var keys = 16;
        for (var batch = 0; ; batch++)
        {
            await Task.WhenAll(Enumerable.Range(0, keys).Select(i =>
                client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"/live/{batch:0000}/{i:00}"), Value = value })));
            var snapshot = await etcd.ObserveAsync();
            Assert.False(snapshot.HasNoSpaceAlarm, "NOSPACE came before the high-water mark; write smaller batches");
            if (snapshot.Members.All(m => policy.QuotaUsageOf(m) >= policy.Alarms.PreemptAboveQuotaRatio))
            {
                break;
            }
            // Close to the mark, one key at a time: etcd 3.5 grows its file in larger steps than 3.4.
            keys = snapshot.Members.Any(m => policy.QuotaUsageOf(m) >= 0.85) ? 1 : 16;
        }
        // Keys and the revision each was written at (values would not fit one response): any change to a key shows.
        async Task<List<(string, long)>> WrittenAsync() =>
            (await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/live/"), RangeEnd = ByteString.CopyFromUtf8("/live0"), KeysOnly = true }))
                .Kvs.Select(kv => (kv.Key.ToStringUtf8(), kv.ModRevision)).ToList();
        var live = await WrittenAsync();

        var first = await RunCycleAsync(etcd, policy);
        var second = await RunCycleAsync(etcd, policy, first.State);

        var gaveUp = Assert.Single(first.Notes, n => n.Code == NoteCode.LiveDataFillsQuota);
        Assert.Equal(NoteSeverity.Warning, gaveUp.Severity);
        Assert.Contains("Raise --quota-backend-bytes or delete data", gaveUp.Message);
        Assert.NotNull(first.State.PreventionGaveUpAt);
        // The next cycle does nothing about it and says it no louder than a note: no warning, no compaction, no defragmentation.
        Assert.Empty(second.Steps);
        Assert.DoesNotContain(second.Notes, n => n.Code is NoteCode.Preempting or NoteCode.LiveDataFillsQuota && n.Severity == NoteSeverity.Warning);
        Assert.Equal(live, await WrittenAsync());
    }

    [Fact]
    public async Task NoSpace_WithEnoughOutsideTheRetention_IsRecoveredWithoutTheEscalation()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 16 * MiB });
        var client = cluster.CreateClient();
        await new RegistryWorkload(client, new RegistryWorkloadOptions { Services = 10, NodesPerService = 5, Writers = 8 }).FillUntilNoSpaceAsync();
        await using var etcd = Connect(cluster);
        var revision = (await etcd.ObserveAsync()).Revision!.Value;

        var result = await RunCycleAsync(etcd, PolicyFor(cluster, p => p with
        {
            Compaction = p.Compaction with { Mode = CompactionMode.Revision, RetainRevisions = 500 },
        }));

        Assert.True(result.Succeeded);
        Assert.Empty(result.Final.Alarms);
        var compaction = Assert.Single(result.Steps, s => s.Step.Kind == StepKind.Compact).Step;
        Assert.Equal((CompactionKind.Revisions, revision - 500), (compaction.Compaction!.Value, compaction.Revision!.Value));
        // The 500 revisions inside the window are still there.
        var kept = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/micro/"), RangeEnd = ByteString.CopyFromUtf8("/micro0"), Revision = revision - 499, CountOnly = true });
        Assert.True(kept.Count > 0);
    }

    [Fact]
    public async Task TheLeaderIsDefragmentedLast_AfterLeadershipMoved()
    {
        var (result, leaderBefore) = await DefragmentFragmentedClusterAsync(moveLeader: true);

        Assert.True(result.Succeeded);
        var kinds = result.Steps.Select(s => s.Step.Kind).ToList();
        Assert.Equal([StepKind.Compact, StepKind.Defragment, StepKind.Defragment, StepKind.MoveLeader, StepKind.Defragment], kinds);
        var move = result.Steps[3].Step;
        Assert.Equal(leaderBefore.Id, move.MemberId);
        Assert.Equal(leaderBefore.Id, result.Steps[4].Step.MemberId);
        Assert.Equal(move.TargetMemberId, result.Final.Leader?.Id);
        Assert.All(result.Final.Members, m => Assert.True(m.FragmentationRatio < 0.3, $"{m.Name} still {m.FragmentationRatio:P0} fragmented"));
    }

    [Fact]
    public async Task KeptStateTakenOverByAnotherWriter_StopsTheCycleBeforeItsNextStep()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAsync(cluster.CreateClient());
        await using var etcd = Connect(cluster);
        var policy = PolicyFor(cluster, p => p with { Compaction = p.Compaction with { Mode = CompactionMode.Revision, RetainRevisions = 10 } });
        var steps = new List<StepKind>();
        // A newer leader wrote the status: the save of the compaction's progress is refused.
        var hooks = new CycleHooks
        {
            BeforeStep = (step, _) => { steps.Add(step.Kind); return Task.CompletedTask; },
            SaveProgress = _ => throw new StateTakenOverException("the status was written by someone else"),
        };

        var error = await Assert.ThrowsAsync<StateTakenOverException>(() => WhileRegistryWritesAsync(cluster,
            () => new HygieneCycle(etcd, TimeProvider.System, NullLogger.Instance).RunAsync(policy, new HygieneState(), CancellationToken.None, hooks)));

        // Without the refusal this cycle compacts and then defragments all three members.
        Assert.Equal([StepKind.Compact], steps);
        Assert.Contains("written by someone else", error.Message);
    }

    [Fact]
    public async Task WithoutMoveLeader_TheLeaderIsStillLast_AndKeepsLeading()
    {
        var (result, leaderBefore) = await DefragmentFragmentedClusterAsync(moveLeader: false);

        var defrags = result.Steps.Where(s => s.Step.Kind == StepKind.Defragment).ToList();
        Assert.Equal(3, defrags.Count);
        Assert.Equal(leaderBefore.Id, defrags[^1].Step.MemberId);
        Assert.DoesNotContain(result.Steps, s => s.Step.Kind == StepKind.MoveLeader);
        Assert.Equal(leaderBefore.Id, result.Final.Leader?.Id);
    }

    [Fact]
    public async Task ADefragmentationLongerThanEtcdsRequestTimeout_IsWarnedAbout_NamingTheMember()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAsync(cluster.CreateClient());
        await using var etcd = Connect(cluster);
        // A defragmentation that lasts 8 s, as an 867 MiB file's did on etcd 3.4 here: the first member
        // to start one is stopped for 8 s the moment etcd logs it, then continued, and finishes it.
        var stopped = new TaskCompletionSource<EtcdTestMember>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlers = cluster.Members.Select(member => (member, handler: (Action<string>)(line =>
        {
            if (line.Contains("\"msg\":\"starting defragment\"", StringComparison.Ordinal) && stopped.TrySetResult(member))
            {
                member.Pause();
                _ = Task.Delay(TimeSpan.FromSeconds(8)).ContinueWith(_ => member.Resume(), TaskScheduler.Default);
            }
        }))).ToList();
        handlers.ForEach(h => h.member.LineLogged += h.handler);

        var result = await WhileRegistryWritesAsync(cluster, () => RunCycleAsync(etcd, PolicyFor(cluster, p => p with
        {
            Compaction = p.Compaction with { Mode = CompactionMode.Revision, RetainRevisions = 10 },
        })));
        handlers.ForEach(h => h.member.LineLogged -= h.handler);

        Assert.True(result.Succeeded, string.Join("; ", result.Steps.Select(s => s.Error)));
        var slow = (await stopped.Task).Name;
        var note = Assert.Single(result.Notes, n => n.Code == NoteCode.SlowDefragmentation);
        Assert.Equal(NoteSeverity.Warning, note.Severity);
        Assert.Matches($@"defragmenting {slow} took (8|9|1\d)\.\ds, longer than etcd's request timeout", note.Message);
        // The other defragmentations were quick: one note, for the one member.
        Assert.Equal(3, result.Steps.Count(s => s.Step.Kind == StepKind.Defragment && s.Result == StepResult.Succeeded));
    }

    [Fact]
    public async Task WithAMemberKilled_NothingIsDefragmented_AndTheReasonSaysWhy()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAsync(cluster.CreateClient());
        cluster.Members[2].Kill();
        await using var etcd = Connect(cluster);

        var result = await WhileRegistryWritesAsync(cluster, () => RunCycleAsync(etcd, PolicyFor(cluster, p => p with
        {
            Compaction = p.Compaction with { Mode = CompactionMode.Revision, RetainRevisions = 10 },
        })));

        // The compaction goes through raft with two of three; the defragmentation must not.
        Assert.Equal([StepKind.Compact], result.Steps.Select(s => s.Step.Kind));
        var blocked = Assert.Single(result.Notes, n => n.Code == NoteCode.DefragBlocked);
        Assert.Contains("voting member m3 is unreachable", blocked.Message);
        Assert.Contains("not defragmenting", blocked.Message); // there was something to defragment
    }

    [Fact]
    public async Task AMemberLostDuringThePauseBetweenMembers_StopsTheRollout_BecauseTheCycleObservesAgainAfterThePause()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAsync(cluster.CreateClient());
        await using var etcd = Connect(cluster);
        var policy = PolicyFor(cluster, p => p with
        {
            Compaction = p.Compaction with { Mode = CompactionMode.Revision, RetainRevisions = 10 },
            Defragmentation = p.Defragmentation with { PauseBetweenMembers = TimeSpan.FromSeconds(4) },
        });
        EtcdTestMember? killed = null;
        Task? killing = null;

        // A second after the first defragmentation starts (it is over by then, the pause is running),
        // another member dies: the plan made before the pause must not be followed.
        var result = await WhileRegistryWritesAsync(cluster, () => new HygieneCycle(etcd, TimeProvider.System, NullLogger.Instance).RunAsync(policy, new HygieneState(), CancellationToken.None,
            new CycleHooks
            {
                BeforeStep = (step, snapshot) =>
                {
                    if (step.Kind == StepKind.Defragment && killing is null)
                    {
                        killed = cluster.Members.First(m => m.Name != step.MemberName && snapshot.Leader?.Name != m.Name);
                        killing = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(_ => killed.Kill());
                    }
                    return Task.CompletedTask;
                },
            }));
        await killing!;

        Assert.Equal(1, result.Steps.Count(s => s.Step.Kind == StepKind.Defragment));
        Assert.Equal(StepResult.Succeeded, result.Steps.Single(s => s.Step.Kind == StepKind.Defragment).Result);
        var blocked = Assert.Single(result.Notes, n => n.Code == NoteCode.DefragBlocked);
        Assert.Contains($"voting member {killed!.Name} is unreachable", blocked.Message);
    }

    [Fact]
    public async Task NoSpace_WithAMemberDown_CompactsWhatIsSafe_ButNeitherDefragmentsNorDisarms()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 16 * MiB });
        var client = cluster.CreateClient();
        await new RegistryWorkload(client, new RegistryWorkloadOptions { Services = 10, NodesPerService = 5, Writers = 8 }).FillUntilNoSpaceAsync();
        var before = await EtcdData.ReadAllAsync(client);
        cluster.Members[2].Kill();
        await using var etcd = Connect(cluster);

        var result = await RunCycleAsync(etcd, PolicyFor(cluster, p => p with
        {
            Compaction = p.Compaction with { Mode = CompactionMode.Revision, RetainRevisions = 1000 },
        }));

        // Compaction (to the retention) goes through raft with two of three. Defragmenting would stop a second member
        // (no quorum), and the dead member's size is unknown: it may still be above the quota.
        Assert.True(result.Steps.Select(s => s.Step.Kind).SequenceEqual([StepKind.Compact]), string.Join(" | ", result.Notes.Select(n => $"{n.Code}: {n.Message}")));
        Assert.NotEqual(CompactionKind.Emergency, result.Steps[0].Step.Compaction); // no escalation while it cannot help
        Assert.True(result.Final.HasNoSpaceAlarm);
        Assert.Contains(result.Notes, n => n.Code == NoteCode.DefragBlocked && n.Message.Contains("m3"));
        Assert.Contains(result.Notes, n => n.Code == NoteCode.QuotaUnknown && n.Message.Contains("m3 is unreachable"));
        Assert.Equal(before, await EtcdData.ReadAllAsync(client));
    }

    [Fact]
    public async Task AMemberKilledMidRollout_StopsTheRollout_AndTheNextCycleFinishesItOnceTheMemberIsBack()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAsync(cluster.CreateClient());
        await using var etcd = Connect(cluster);
        var policy = PolicyFor(cluster, p => p with { Compaction = p.Compaction with { Mode = CompactionMode.Revision, RetainRevisions = 10 } });
        EtcdTestMember? killed = null;

        // The worst moment: the cycle has just observed the cluster healthy and chosen its next member.
        var first = await WhileRegistryWritesAsync(cluster, () => new HygieneCycle(etcd, TimeProvider.System, NullLogger.Instance).RunAsync(policy, new HygieneState(), CancellationToken.None, new CycleHooks { BeforeStep = (step, snapshot) =>
            {
                if (step.Kind == StepKind.Defragment && killed is null && snapshot.Member(step.MemberId!.Value) is { } target)
                {
                    killed = cluster.Members.Single(m => m.Name == target.Name);
                    killed.Kill();
                }
                return Task.CompletedTask;
            } }));

        Assert.False(first.Succeeded);
        var failed = Assert.Single(first.Steps, s => s.Result == StepResult.Failed);
        Assert.Equal(StepKind.Defragment, failed.Step.Kind);
        Assert.Contains(killed!.Name, failed.Step.Title);
        Assert.NotNull(failed.Error);
        Assert.Same(failed, first.Steps[^1]); // nothing after the failure in that cycle

        cluster.Members.Single(m => m == killed).Start();
        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));
        // The next cycle comes when the operator sees the member again (its reconnect backoff is at most 5 s).
        for (var waited = 0; waited < 100 && (await etcd.ObserveAsync()).Members.Any(m => !m.Reachable); waited++)
        {
            await Task.Delay(100);
        }
        var second = await WhileRegistryWritesAsync(cluster, () => RunCycleAsync(etcd, policy, first.State));

        Assert.True(second.Succeeded, string.Join("; ", second.Notes.Select(n => n.Message)));
        Assert.True(second.Steps.Count(s => s.Step.Kind == StepKind.Defragment && s.Result == StepResult.Succeeded) == 3,
            string.Join(" | ", second.Steps.Select(s => s.Step.Title).Concat(second.Notes.Select(n => n.Message))
                .Concat(second.Final.Members.Select(m => $"{m.Name} {m.Status?.DbSizeBytes} {m.Status?.DbSizeInUseBytes}"))));
        await AssertMembersAgreeAsync(cluster);
    }

    [Fact]
    public async Task AMemberPausedDuringItsDefragmentation_TimesOut_AndNoOtherMemberIsTouchedInThatCycle()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAsync(cluster.CreateClient());
        await using var etcd = new EtcdClusterConnection(new EtcdConnectionOptions
        {
            Endpoints = cluster.ClientUrls, RequestTimeout = TimeSpan.FromSeconds(3), DefragTimeout = TimeSpan.FromSeconds(3),
        });
        var policy = PolicyFor(cluster, p => p with { Compaction = p.Compaction with { Mode = CompactionMode.Revision, RetainRevisions = 10 } });
        EtcdTestMember? paused = null;
        try
        {
            var result = await WhileRegistryWritesAsync(cluster, () => new HygieneCycle(etcd, TimeProvider.System, NullLogger.Instance).RunAsync(policy, new HygieneState(), CancellationToken.None, new CycleHooks { BeforeStep = (step, snapshot) =>
                {
                    if (step.Kind == StepKind.Defragment && paused is null && snapshot.Member(step.MemberId!.Value) is { } target)
                    {
                        paused = cluster.Members.Single(m => m.Name == target.Name);
                        paused.Pause();
                    }
                    return Task.CompletedTask;
                } }));

            var failed = Assert.Single(result.Steps, s => s.Result == StepResult.Failed);
            Assert.Contains(paused!.Name, failed.Step.Title);
            Assert.Contains("TimedOut", failed.Error);
            Assert.InRange(failed.Duration, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(10));
            Assert.Same(failed, result.Steps[^1]);
            Assert.Equal(1, result.Steps.Count(s => s.Step.Kind == StepKind.Defragment));
        }
        finally
        {
            paused?.Resume();
        }
    }

    [Fact]
    public async Task Retention_KeepsEveryRevisionInsideTheWindow_AndCompactsOnlyOutsideIt()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        var client = cluster.CreateClient();
        for (var i = 0; i < 50; i++)
        {
            await client.PutAsync("/micro/registry/greeter/a", $"v{i}");
        }
        await using var etcd = Connect(cluster);
        var oldRevision = (await etcd.ObserveAsync()).Revision!.Value;
        for (var i = 0; i < 50; i++)
        {
            await client.PutAsync("/micro/registry/greeter/a", $"w{i}");
        }
        var recentRevision = (await etcd.ObserveAsync()).Revision!.Value;
        var now = DateTimeOffset.UtcNow;
        // What the kept samples say: oldRevision was current 61 minutes ago, recentRevision 10 minutes ago.
        var state = new HygieneState { Samples = [new(now.AddMinutes(-61), oldRevision), new(now.AddMinutes(-10), recentRevision)] };

        var result = await RunCycleAsync(etcd, PolicyFor(cluster), state);

        var compaction = Assert.Single(result.Steps, s => s.Step.Kind == StepKind.Compact).Step;
        Assert.Equal(oldRevision, compaction.Revision);
        Assert.Equal(oldRevision, result.Final.CompactRevision);
        var inside = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/micro/registry/greeter/a"), Revision = oldRevision + 1 });
        Assert.Equal("w0", inside.Kvs.Single().Value.ToStringUtf8());
        var outside = await Assert.ThrowsAsync<RpcException>(() =>
            client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/micro/registry/greeter/a"), Revision = oldRevision - 1 }));
        Assert.Contains("compacted", outside.Status.Detail);
    }

    [Fact]
    public async Task DryRun_ChangesNothing_ButReportsTheWholeRecovery()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 16 * MiB });
        await new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions { Services = 10, NodesPerService = 5, Writers = 8 }).FillUntilNoSpaceAsync();
        await using var etcd = Connect(cluster);
        var before = await SnapshotComparison.SettledAsync(etcd);

        var result = await RunCycleAsync(etcd, PolicyFor(cluster, p => p with { DryRun = true }));

        Assert.NotEmpty(result.Steps);
        Assert.All(result.Steps, s => Assert.Equal(StepResult.DryRun, s.Result));
        Assert.Contains(result.Notes, n => n.Code == NoteCode.DryRun);
        Assert.Empty(SnapshotComparison.Differences(before, await etcd.ObserveAsync()));
    }

    /// <summary>One cycle on a freshly fragmented 3-member cluster; returns it and who led before.</summary>
    private static async Task<(CycleResult Result, MemberSnapshot LeaderBefore)> DefragmentFragmentedClusterAsync(bool moveLeader)
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await EtcdData.FragmentAsync(cluster.CreateClient());
        await using var etcd = Connect(cluster);
        var leaderBefore = (await etcd.ObserveAsync()).Leader!;
        var result = await WhileRegistryWritesAsync(cluster, () => RunCycleAsync(etcd, PolicyFor(cluster, p => p with
        {
            Compaction = p.Compaction with { Mode = CompactionMode.Revision, RetainRevisions = 10 },
            Defragmentation = p.Defragmentation with { MoveLeader = moveLeader },
        })));
        return (result, leaderBefore);
    }

    /// <summary>
    /// A registry that keeps writing during the cycle, as real ones do. etcd counts pages freed by a
    /// compaction as free (dbSizeInUse drops) only at its next write; on an idle test cluster the
    /// fragmentation would stay invisible.
    /// </summary>
    private static async Task<T> WhileRegistryWritesAsync<T>(EtcdTestCluster cluster, Func<Task<T>> action)
    {
        using var stop = new CancellationTokenSource();
        var registry = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions
        {
            Services = 2, NodesPerService = 2, Writers = 1, ReRegisterInterval = TimeSpan.FromMilliseconds(50), Prefix = "/live/",
        });
        var writing = registry.RunAsync(stop.Token);
        try
        {
            return await action();
        }
        finally
        {
            stop.Cancel();
            await writing;
        }
    }

    /// <summary>HashKV at one revision on every member: the same data everywhere.</summary>
    private static async Task AssertMembersAgreeAsync(EtcdTestCluster cluster) =>
        Assert.Single((await EtcdData.HashesAtOneRevisionAsync(cluster)).Select(h => (h.Hash, h.CompactRevision)).Distinct());
}
