using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Core.Watching;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Core.Execution;

/// <summary>
/// One hygiene cycle: observe → plan → execute the first step → observe again → plan again, until
/// nothing is left to do. Re-planning after every step is how each defragmentation gets its own
/// fresh health gate and how the NOSPACE recovery sees what its compaction freed. Both front ends
/// (Kubernetes controller, standalone run) call this class.
/// </summary>
public sealed class HygieneCycle
{
    private readonly IEtcdMaintenance _etcd;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IMaintenanceLanes? _lanes;

    /// <summary>
    /// Creates a cycle runner over one cluster. With <paramref name="lanes"/>, each step waits for
    /// its turn on the cluster's lane, and the right to act is checked right before each request.
    /// </summary>
    public HygieneCycle(IEtcdMaintenance etcd, TimeProvider time, ILogger logger, IMaintenanceLanes? lanes = null)
    {
        _etcd = etcd;
        _time = time;
        _logger = logger;
        _lanes = lanes;
    }

    /// <summary>
    /// Runs one cycle. <paramref name="stopping"/> is honoured between steps only: a step that has
    /// started (a defragmentation, say) runs to its end or its own timeout. <paramref name="outlook"/>
    /// is the growth the watch measured, which prevention plans for.
    /// </summary>
    public async Task<CycleResult> RunAsync(HygienePolicy policy, HygieneState state, CancellationToken stopping, CycleHooks? hooks = null, GrowthOutlook? outlook = null)
    {
        hooks ??= new CycleHooks();
        var startedAt = _time.GetUtcNow();
        var progress = new CycleProgress { Outlook = outlook ?? GrowthOutlook.None };
        var outcomes = new List<StepOutcome>();
        var notes = new List<PlanNote>();
        // The lane's count, read before the first look for the cluster the kept state names: a step
        // that ends after this read changes it, so the first turn looks again only when needed.
        var known = KnownCluster(state);
        long? countBefore = known is { } cluster && _lanes is not null ? _lanes.Changes(cluster) : null;
        var snapshot = await _etcd.ObserveAsync(stopping);
        var initial = snapshot;
        state = ObservedState.AtFirstLook(policy, state, snapshot, out var dropped);
        if (dropped is not null)
        {
            // Said before anything is planned, so that status, events and logs tell why history looks new.
            notes.Add(dropped);
            _logger.LogWarning("Policy {Policy}: {Code}: {Message}", policy.Key, dropped.Code, dropped.Message);
        }
        // Queued only while etcd accepts writes: under an alarm the lease grant is refused anyway
        // (a raft proposal all the same), and a CORRUPT cluster must see nothing from us at all.
        if (_lanes is not null && !policy.DryRun && !policy.Suspend && snapshot is { AlarmsKnown: true, Alarms.Count: 0, ClusterId: { } observed })
        {
            await _lanes.QueueAsync(observed, policy, stopping);
        }
        var firstPlan = HygienePlanner.Plan(policy, snapshot, state, progress, _time);
        var plan = firstPlan;
        var maxSteps = 4 * Math.Max(1, snapshot.Members.Count) + 8;
        var interrupted = false;
        var paused = false;
        var urgent = false;
        // The lane's count at this cycle's last look; unknown for a cluster the state did not name,
        // so that the first turn looks again inside it.
        long? seenChanges = snapshot.ClusterId == known ? countBefore : null;
        long? blockedSince = null; // monotonic: a wall clock stepped back must not stretch the retries
        var lookedAfterWaiting = false;

        if (policy.DryRun)
        {
            outcomes.AddRange(plan.Steps.Select(s => new StepOutcome { Step = s, Result = StepResult.DryRun }));
            foreach (var step in plan.Steps)
            {
                _logger.LogInformation("Policy {Policy}: dry run, would {Step}: {Reason}", policy.Key, step.Title, step.Reason);
            }
        }

        while (!policy.DryRun)
        {
            AddNew(notes, plan.Notes, policy);
            urgent |= plan.Urgent;
            if (!plan.HasSteps && urgent && Retryable(plan) && !stopping.IsCancellationRequested)
            {
                // While writes are refused (or about to be), one bad observation must not end the
                // recovery: a member busy finishing its defragmentation, or slow on a loaded
                // machine, is asked again until spec.etcd.requestTimeout has passed.
                blockedSince ??= _time.GetTimestamp();
                if (_time.GetElapsedTime(blockedSince.Value) < policy.Etcd.RequestTimeout)
                {
                    await Task.Delay(BlockedRetryPoll, _time, CancellationToken.None);
                    (snapshot, state) = await ObserveAsync(policy, state, CancellationToken.None);
                    plan = HygienePlanner.Plan(policy, snapshot, state, progress, _time);
                    continue;
                }
            }
            if (!plan.HasSteps || outcomes.Count >= maxSteps)
            {
                break;
            }
            blockedSince = null;
            if (stopping.IsCancellationRequested)
            {
                interrupted = true;
                break;
            }
            var step = plan.Steps[0];
            // While writes are refused the pause is not waited: before the next member the plan
            // already requires the one just defragmented to answer a health read and the quorum to hold.
            var clusterId = snapshot.ClusterId;
            var clusterLast = clusterId is { } lastOf ? _lanes?.LastDefragmentation(lastOf) : null;
            if (step.Kind == StepKind.Defragment && !plan.Urgent && !paused
                && DefragPause.Left(policy.Defragmentation.PauseBetweenMembers, state, _time.GetUtcNow(), clusterLast) is { } left)
            {
                // The pause counts from the last defragmentation in this cycle, an earlier one, an
                // earlier process (the state is saved before every defragmentation), so a restart
                // never shortens it, or another policy of the same cluster.
                _logger.LogInformation("Policy {Policy}: {Step} in {Seconds:0.0}s: spec.defragmentation.pauseBetweenMembers has not passed since the last defragmentation",
                    policy.Key, step.Title, left.TotalSeconds);
                try
                {
                    await Task.Delay(left, _time, stopping);
                }
                catch (OperationCanceledException)
                {
                    interrupted = true;
                    break;
                }
                // The cluster may have changed during the pause: observe and plan again before touching a member.
                paused = true;
                (snapshot, state) = await ObserveAsync(policy, state, CancellationToken.None);
                plan = HygienePlanner.Plan(policy, snapshot, state, progress, _time);
                continue;
            }
            IMaintenanceTurn? turn = null;
            var waitedSince = _time.GetTimestamp();
            if (_lanes is not null && clusterId is { } laneOf)
            {
                try
                {
                    turn = await _lanes.EnterAsync(laneOf, policy, plan.Urgent, stopping);
                }
                catch (OperationCanceledException)
                {
                    interrupted = true;
                    break;
                }
            }
            await using var held = turn;
            if (turn?.Refused is { } refused)
            {
                AddNew(notes, [new PlanNote(NoteCode.MaintainedElsewhere, refused)], policy);
                _logger.LogInformation("Policy {Policy}: {Step} not done: {Reason}", policy.Key, step.Title, refused);
                break;
            }
            if (turn?.Warning is { } warning)
            {
                AddNew(notes, [PlanNote.Warning(NoteCode.ActingWithoutClusterLock, warning)], policy);
            }
            // A turn waited for long (another policy's step, and its look after it, on a member that
            // stopped answering meanwhile) leaves the plan's observation stale even when nothing ran:
            // the schedule explorer found a defragmentation sent 10 s after a voter hung. Look again.
            // Once per step: a turn that is always slow to take (a slow lock request) must not stop the cycle.
            var waitedLong = _time.GetElapsedTime(waitedSince) > StaleAfterWaiting && !lookedAfterWaiting;
            if (turn is not null && (turn.Changes != seenChanges || waitedLong))
            {
                lookedAfterWaiting |= waitedLong;
                // Another policy or process may have acted since this cycle last looked: look again,
                // inside the turn, so that nothing acts between this look and the step.
                seenChanges = turn.Changes;
                // A pause already waited may have been cut short by another policy's defragmentation since.
                paused = false;
                (snapshot, state) = await ObserveAsync(policy, state, CancellationToken.None);
                plan = HygienePlanner.Plan(policy, snapshot, state, progress, _time);
                continue;
            }
            paused = false;
            lookedAfterWaiting = false;
            if (plan.Preempting)
            {
                progress.RecordPreemption();
            }

            await RunHookAsync(policy, "before the step", () => hooks.BeforeStep?.Invoke(step, snapshot));
            if (step.Kind == StepKind.Defragment)
            {
                state = state with { UnfinishedDefrag = new DefragStart(step.MemberId!.Value.ToString("x"), step.MemberName ?? "", _time.GetUtcNow()) };
                if (await SaveBeforeDefragmentationAsync(policy, hooks, state) is { } unsaved)
                {
                    // A defragmentation nobody recorded could be repeated at once by a restarted
                    // process, without the pause: better not to start it.
                    AddNew(notes, [PlanNote.Warning(NoteCode.ProgressNotSaved, $"{step.Title} not started: the kept state could not be saved first ({unsaved})")], policy);
                    interrupted = true;
                    break;
                }
            }
            // The fence, after every hook and save, immediately before the request.
            if (turn?.WhyNotEntitled() is { } lost)
            {
                AddNew(notes, [PlanNote.Warning(NoteCode.ActingRightLost, $"{step.Title} not started: {lost}")], policy);
                interrupted = true;
                break;
            }
            var outcome = await ExecuteAsync(policy, step);
            if (turn is not null)
            {
                seenChanges = turn.Acted(step, _time.GetUtcNow());
            }
            if (outcome.Result == StepResult.Succeeded)
            {
                (state, var reclaim) = Record(state, step, progress, snapshot);
                if (step.Kind is StepKind.Compact or StepKind.Defragment)
                {
                    await RunHookAsync(policy, "saving progress", () => hooks.SaveProgress?.Invoke(state));
                }
                var after = step.Kind == StepKind.Compact
                    ? await ObserveCompactedAsync(policy, state, snapshot)
                    : await ObserveAsync(policy, state, CancellationToken.None);
                state = after.State;
                if (reclaim is { } before && after.Snapshot.Member(step.MemberId!.Value)?.Status is { } status)
                {
                    outcome = outcome with { ReclaimedBytes = Math.Max(0, before - status.DbSizeBytes) };
                }
                snapshot = after.Snapshot;
            }
            outcomes.Add(outcome);
            if (SlowDefragmentation(outcome) is { } slow)
            {
                AddNew(notes, [slow], policy);
            }
            if (outcome.Result == StepResult.Failed)
            {
                break;
            }
            plan = HygienePlanner.Plan(policy, snapshot, state, progress, _time);
        }
        if (policy.DryRun)
        {
            AddNew(notes, plan.Notes, policy);
        }

        if (notes.Any(n => n.Code == NoteCode.LiveDataFillsQuota && n.Severity == NoteSeverity.Warning))
        {
            state = state with { PreventionGaveUpAt = _time.GetUtcNow() };
        }
        var reclaimed = outcomes.Sum(o => o.ReclaimedBytes ?? 0);
        if (outcomes.Any(o => o.Step.Kind == StepKind.Defragment && o.Result == StepResult.Succeeded))
        {
            state = state with { LastDefragReclaimedBytes = reclaimed };
        }
        return new CycleResult
        {
            Initial = initial,
            Final = snapshot,
            InitialPlan = firstPlan,
            Steps = outcomes,
            Notes = notes,
            State = state,
            StartedAt = startedAt,
            FinishedAt = _time.GetUtcNow(),
            Interrupted = interrupted,
        };
    }

    private static ulong? KnownCluster(HygieneState state) =>
        ulong.TryParse(state.ClusterId, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : null;

    private async Task<(ClusterSnapshot Snapshot, HygieneState State)> ObserveAsync(HygienePolicy policy, HygieneState state, CancellationToken cancellationToken)
    {
        var snapshot = await _etcd.ObserveAsync(cancellationToken);
        return (snapshot, ObservedState.After(policy, state, snapshot));
    }

    /// <summary>The plan has nothing to do only because something could not be seen or a member is not back yet.</summary>
    private static bool Retryable(HygienePlan plan) =>
        plan.Notes.Any(n => n.Code is NoteCode.DefragBlocked or NoteCode.ClusterUnreachable or NoteCode.AlarmsUnknown or NoteCode.QuotaUnknown);

    /// <summary>How long a wait for the turn may take before the plan's observation counts as stale.</summary>
    private static readonly TimeSpan StaleAfterWaiting = TimeSpan.FromSeconds(1);

    // Often enough that a member back from its defragmentation is seen at once, rarely enough not
    // to load a member that is still busy.
    private static readonly TimeSpan BlockedRetryPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A physical compaction returns once the member that took the request has applied it; the
    /// others apply it a moment later, and etcd reports the freed pages in dbSizeInUse only after
    /// its next backend commits. Planning at once would see unfragmented followers and a fragmented
    /// leader, and defragment in the wrong order. So wait, boundedly, until every member has
    /// finished the compaction and its in-use size has stopped falling.
    /// </summary>
    private async Task<(ClusterSnapshot Snapshot, HygieneState State)> ObserveCompactedAsync(HygienePolicy policy, HygieneState state, ClusterSnapshot before)
    {
        var began = _time.GetTimestamp(); // monotonic: a wall clock stepped back must not stretch the wait
        var previous = await ObserveAsync(policy, state, CancellationToken.None);
        while (_time.GetElapsedTime(began) < CompactionSettleTimeout)
        {
            await Task.Delay(CompactionSettlePoll, _time);
            var current = await ObserveAsync(policy, previous.State, CancellationToken.None);
            var settled = Applied(before, current.Snapshot) && Steady(previous.Snapshot, current.Snapshot);
            previous = current;
            if (settled)
            {
                break;
            }
        }
        return previous;

        static bool Applied(ClusterSnapshot before, ClusterSnapshot after) =>
            after.Members.Where(m => m.Reachable).All(m =>
                m.FinishedCompactions is null
                || before.Member(m.Id)?.FinishedCompactions is not { } earlier
                || m.FinishedCompactions > earlier);

        // Registries keep writing, so "steady" allows the small drift of ordinary traffic.
        static bool Steady(ClusterSnapshot previous, ClusterSnapshot current) =>
            current.Members.Where(m => m.Reachable).All(m =>
                previous.Member(m.Id)?.Status is { } earlier
                && Math.Abs(earlier.DbSizeInUseBytes - m.Status!.DbSizeInUseBytes) <= Math.Max(64 * 1024, m.Status.DbSizeBytes / 100));
    }

    private static readonly TimeSpan CompactionSettleTimeout = TimeSpan.FromSeconds(10);
    // Just above etcd's default backend batch interval (100 ms): two readings that far apart have a
    // commit between them, so an in-use size that has not dropped yet cannot pass for steady.
    private static readonly TimeSpan CompactionSettlePoll = TimeSpan.FromMilliseconds(120);

    private async Task<StepOutcome> ExecuteAsync(HygienePolicy policy, HygieneStep step)
    {
        var level = step.IsWarning ? LogLevel.Warning : LogLevel.Information;
        _logger.Log(level, "Policy {Policy}: {Step}: {Reason}", policy.Key, step.Title, step.Reason);
        // The injected clock, not a Stopwatch: a simulated cluster's defragmentation takes simulated time.
        var started = _time.GetTimestamp();
        try
        {
            // No cancellation token: a started step finishes or times out on its own (adapter timeouts),
            // so a shutdown never leaves a member half-way through a defragmentation we gave up on.
            var task = step.Kind switch
            {
                StepKind.Compact => _etcd.CompactAsync(step.Revision!.Value, CancellationToken.None),
                StepKind.Defragment => _etcd.DefragmentAsync(step.MemberId!.Value, CancellationToken.None),
                StepKind.MoveLeader => _etcd.MoveLeaderAsync(step.TargetMemberId!.Value, CancellationToken.None),
                StepKind.DisarmNoSpace => DisarmAllAsync(step.MemberIds),
                _ => throw new InvalidOperationException($"unknown step {step.Kind}"),
            };
            await task;
            _logger.LogInformation("Policy {Policy}: {Step} done in {Seconds:0.000}s", policy.Key, step.Title, _time.GetElapsedTime(started).TotalSeconds);
            return new StepOutcome { Step = step, Result = StepResult.Succeeded, Duration = _time.GetElapsedTime(started) };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning("Policy {Policy}: {Step} failed after {Seconds:0.000}s: {Error}", policy.Key, step.Title, _time.GetElapsedTime(started).TotalSeconds, e.Message);
            return new StepOutcome { Step = step, Result = StepResult.Failed, Duration = _time.GetElapsedTime(started), Error = e.Message };
        }
    }

    /// <summary>
    /// etcd ends a request after 5 s plus two election timeouts (7 s at its defaults). A member
    /// applies nothing while it defragments, so a defragmentation longer than that times out the
    /// writes sent through that member, whichever tool runs it (README, Performance: about 8 s for
    /// an 867 MiB file on etcd 3.4 here). Said as a warning, because the registry's owners see
    /// failed registrations and nothing else would tell them why.
    /// </summary>
    private static readonly TimeSpan EtcdRequestTimeout = TimeSpan.FromSeconds(7);

    private static PlanNote? SlowDefragmentation(StepOutcome outcome) =>
        outcome is { Result: StepResult.Succeeded, Step.Kind: StepKind.Defragment } && outcome.Duration > EtcdRequestTimeout
            ? PlanNote.Warning(NoteCode.SlowDefragmentation,
                $"defragmenting {outcome.Step.MemberName} took {outcome.Duration.TotalSeconds:0.0}s, longer than etcd's request timeout (5s plus two election timeouts, 7s by default): " +
                $"any write sent through {outcome.Step.MemberName} meanwhile timed out. Keep the database smaller (compaction), defragment in a quiet window (spec.defragmentation.schedule), " +
                "or let clients fail over (etcd's --experimental-stop-grpc-service-on-defrag, with clients that check health)")
            : null;

    private async Task DisarmAllAsync(IReadOnlyList<ulong> members)
    {
        foreach (var member in members)
        {
            await _etcd.DisarmNoSpaceAsync(member, CancellationToken.None);
        }
    }

    /// <summary>Updates kept history and cycle progress after a successful step.</summary>
    private (HygieneState, long? SizeBeforeDefrag) Record(HygieneState state, HygieneStep step, CycleProgress progress, ClusterSnapshot before)
    {
        var now = _time.GetUtcNow();
        switch (step.Kind)
        {
            case StepKind.Compact:
                progress.RecordCompaction(step.Compaction!.Value);
                return (state with { LastCompactionTime = now, LastCompactedRevision = step.Revision }, null);
            case StepKind.Defragment:
                progress.RecordDefragmentation(step.MemberId!.Value);
                var times = new Dictionary<string, DateTimeOffset>(state.LastDefragTimes) { [step.MemberId.Value.ToString("x")] = now };
                return (state with { LastDefragTimes = times, LastDefragTime = now, UnfinishedDefrag = null }, before.Member(step.MemberId.Value)?.Status?.DbSizeBytes);
            default:
                return (state, null);
        }
    }

    /// <summary>
    /// Saves the state that says a defragmentation is starting; null when saved (or nobody keeps
    /// state), else why not. Unlike other saves, a failure here stops the cycle: nothing runs unrecorded.
    /// </summary>
    private async Task<string?> SaveBeforeDefragmentationAsync(HygienePolicy policy, CycleHooks hooks, HygieneState state)
    {
        try
        {
            if (hooks.SaveProgress?.Invoke(state) is { } saving)
            {
                await saving;
            }
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException and not StateTakenOverException)
        {
            _logger.LogWarning("Policy {Policy}: saving progress failed: {Error}", policy.Key, e.Message);
            return e.Message;
        }
    }

    /// <summary>A front end's hook; its failure is logged and never stops the cycle (a NOSPACE recovery must not wait on a status write).</summary>
    private async Task RunHookAsync(HygienePolicy policy, string what, Func<Task?> hook)
    {
        try
        {
            if (hook() is { } running)
            {
                await running;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException and not StateTakenOverException)
        {
            _logger.LogWarning("Policy {Policy}: {What} failed: {Error}", policy.Key, what, e.Message);
        }
    }

    private void AddNew(List<PlanNote> notes, IReadOnlyList<PlanNote> fresh, HygienePolicy policy)
    {
        foreach (var note in fresh.Where(n => !notes.Contains(n)))
        {
            notes.Add(note);
            _logger.Log(note.Severity == NoteSeverity.Warning ? LogLevel.Warning : LogLevel.Debug,
                "Policy {Policy}: {Code}: {Message}", policy.Key, note.Code, note.Message);
        }
    }
}
