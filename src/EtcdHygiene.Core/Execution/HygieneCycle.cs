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
        var began = _time.GetTimestamp();
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
        // The lane's count is unknown for a cluster the state did not name, so that the first turn looks again inside it.
        var course = CycleCourse.Start(snapshot, snapshot.ClusterId == known ? countBefore : null);
        var interrupted = false;

        if (policy.DryRun)
        {
            outcomes.AddRange(plan.Steps.Select(s => new StepOutcome { Step = s, Result = StepResult.DryRun }));
            foreach (var step in plan.Steps)
            {
                _logger.LogInformation("Policy {Policy}: dry run, would {Step}: {Reason}", policy.Key, step.Title, step.Reason);
            }
            AddNew(notes, plan.Notes, policy);
        }

        // Execute what the course decides: every decision is CycleCourse's, made from the latest plan.
        while (!policy.DryRun)
        {
            AddNew(notes, plan.Notes, policy);
            var clusterId = snapshot.ClusterId;
            var clusterLast = clusterId is { } lastOf ? _lanes?.LastDefragmentation(lastOf) : null;
            (var move, course) = course.Next(policy, plan, state, new CycleMoment(_time.GetUtcNow(), _time.GetElapsedTime(began)), clusterLast, stopping.IsCancellationRequested);
            if (move is CycleMove.End end)
            {
                interrupted = end.Reason == CycleEnd.Stopping;
                break;
            }
            if (move is CycleMove.Wait wait)
            {
                if (wait.Announce)
                {
                    _logger.Log(wait.EndsOnStop ? LogLevel.Information : LogLevel.Debug, "Policy {Policy}: {Wait}", policy.Key, wait.Message);
                }
                try
                {
                    await Task.Delay(wait.Duration, _time, wait.EndsOnStop ? stopping : CancellationToken.None);
                }
                catch (OperationCanceledException)
                {
                    interrupted = true;
                    break;
                }
                (snapshot, state) = await ObserveAsync(policy, state, CancellationToken.None);
                plan = HygienePlanner.Plan(policy, snapshot, state, progress, _time);
                continue;
            }
            var step = ((CycleMove.Act)move).Step;
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
            if (turn is not null && course.LookAgainInTurn(turn.Changes, _time.GetElapsedTime(waitedSince)) is { } lookingAgain)
            {
                // Looked at inside the turn, so that nothing acts between this look and the step.
                course = lookingAgain;
                (snapshot, state) = await ObserveAsync(policy, state, CancellationToken.None);
                plan = HygienePlanner.Plan(policy, snapshot, state, progress, _time);
                continue;
            }
            if (plan.Preempting)
            {
                progress.RecordPreemption();
            }

            await RunHookAsync(policy, "before the step", () => hooks.BeforeStep?.Invoke(step, snapshot));
            if (step.Kind == StepKind.Defragment)
            {
                state = KeptHistory.BeforeDefragmentation(state, step, _time.GetUtcNow());
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
            course = course.Acted(turn?.Acted(step, _time.GetUtcNow()));
            if (outcome.Result == StepResult.Succeeded)
            {
                var sizeBefore = step.Kind == StepKind.Defragment ? snapshot.Member(step.MemberId!.Value)?.Status?.DbSizeBytes : null;
                state = KeptHistory.AfterStep(state, step, progress, _time.GetUtcNow());
                if (step.Kind is StepKind.Compact or StepKind.Defragment)
                {
                    await RunHookAsync(policy, "saving progress", () => hooks.SaveProgress?.Invoke(state));
                }
                var after = step.Kind == StepKind.Compact
                    ? await ObserveCompactedAsync(policy, state, snapshot)
                    : await ObserveAsync(policy, state, CancellationToken.None);
                state = after.State;
                if (sizeBefore is { } before && after.Snapshot.Member(step.MemberId!.Value)?.Status is { } status)
                {
                    outcome = outcome with { ReclaimedBytes = Math.Max(0, before - status.DbSizeBytes) };
                }
                snapshot = after.Snapshot;
                if (SlowDefragmentation.Note(step, outcome.Duration) is { } slow)
                {
                    AddNew(notes, [slow], policy);
                }
            }
            outcomes.Add(outcome);
            if (outcome.Result == StepResult.Failed)
            {
                break;
            }
            plan = HygienePlanner.Plan(policy, snapshot, state, progress, _time);
        }

        var defragmented = outcomes.Any(o => o.Step.Kind == StepKind.Defragment && o.Result == StepResult.Succeeded);
        state = KeptHistory.AtCycleEnd(state, notes, defragmented ? outcomes.Sum(o => o.ReclaimedBytes ?? 0) : null, _time.GetUtcNow());
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

    /// <summary>Looks until <see cref="CompactionSettle"/> says the compaction seen sent after <paramref name="before"/> has settled, or its timeout passed.</summary>
    private async Task<(ClusterSnapshot Snapshot, HygieneState State)> ObserveCompactedAsync(HygienePolicy policy, HygieneState state, ClusterSnapshot before)
    {
        var began = _time.GetTimestamp(); // monotonic: a wall clock stepped back must not stretch the wait
        var previous = await ObserveAsync(policy, state, CancellationToken.None);
        while (_time.GetElapsedTime(began) < CompactionSettle.Timeout)
        {
            await Task.Delay(CompactionSettle.Poll, _time);
            var current = await ObserveAsync(policy, previous.State, CancellationToken.None);
            var settled = CompactionSettle.Settled(before, previous.Snapshot, current.Snapshot);
            previous = current;
            if (settled)
            {
                break;
            }
        }
        return previous;
    }

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

    private async Task DisarmAllAsync(IReadOnlyList<ulong> members)
    {
        foreach (var member in members)
        {
            await _etcd.DisarmNoSpaceAsync(member, CancellationToken.None);
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
