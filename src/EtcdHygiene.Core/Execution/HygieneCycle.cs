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
        var run = await FirstLookAsync(policy, state, hooks ?? new CycleHooks(), new CycleProgress { Outlook = outlook ?? GrowthOutlook.None }, stopping);
        if (policy.DryRun)
        {
            run.Outcomes.AddRange(run.Plan.Steps.Select(s => new StepOutcome { Step = s, Result = StepResult.DryRun }));
            foreach (var step in run.Plan.Steps)
            {
                _logger.LogInformation("Policy {Policy}: dry run, would {Step}: {Reason}", policy.Key, step.Title, step.Reason);
            }
            AddNew(run, run.Plan.Notes);
        }
        else
        {
            // Execute what the course decides: every decision is CycleCourse's, made from the latest plan.
            while (await MoveAsync(run, stopping))
            {
            }
        }

        var defragmented = run.Outcomes.Any(o => o.Step.Kind == StepKind.Defragment && o.Result == StepResult.Succeeded);
        var kept = KeptHistory.AtCycleEnd(run.State, run.Notes, defragmented ? run.Outcomes.Sum(o => o.ReclaimedBytes ?? 0) : null, _time.GetUtcNow());
        return new CycleResult
        {
            Initial = run.Initial,
            Final = run.Snapshot,
            InitialPlan = run.FirstPlan,
            Steps = run.Outcomes,
            Notes = run.Notes,
            State = kept,
            StartedAt = run.StartedAt,
            FinishedAt = _time.GetUtcNow(),
            Interrupted = run.Interrupted,
        };
    }

    /// <summary>The first look: the kept state bound to the cluster seen, the policy queued on its lane, the first plan.</summary>
    private async Task<CycleRun> FirstLookAsync(HygienePolicy policy, HygieneState state, CycleHooks hooks, CycleProgress progress, CancellationToken stopping)
    {
        var startedAt = _time.GetUtcNow();
        var began = _time.GetTimestamp();
        // The lane's count, read before the first look for the cluster the kept state names: a step
        // that ends after this read changes it, so the first turn looks again only when needed.
        var known = KnownCluster(state);
        long? countBefore = known is { } cluster && _lanes is not null ? _lanes.Changes(cluster) : null;
        var snapshot = await _etcd.ObserveAsync(stopping);
        state = ObservedState.AtFirstLook(policy, state, snapshot, out var dropped);
        if (dropped is not null)
        {
            // Said before anything is planned, so that status, events and logs tell why history looks new.
            _logger.LogWarning("Policy {Policy}: {Code}: {Message}", policy.Key, dropped.Code, dropped.Message);
        }
        // Queued only while etcd accepts writes: under an alarm the lease grant is refused anyway
        // (a raft proposal all the same), and a CORRUPT cluster must see nothing from us at all.
        if (_lanes is not null && !policy.DryRun && !policy.Suspend && snapshot is { AlarmsKnown: true, Alarms.Count: 0, ClusterId: { } observed })
        {
            await _lanes.QueueAsync(observed, policy, stopping);
        }
        var plan = HygienePlanner.Plan(policy, snapshot, state, progress, _time);
        var run = new CycleRun
        {
            Policy = policy, Hooks = hooks, Progress = progress, StartedAt = startedAt, Began = began,
            Initial = snapshot, FirstPlan = plan, Snapshot = snapshot, State = state, Plan = plan,
            // The lane's count is unknown for a cluster the state did not name, so that the first turn looks again inside it.
            Course = CycleCourse.Start(snapshot, snapshot.ClusterId == known ? countBefore : null),
        };
        if (dropped is not null)
        {
            run.Notes.Add(dropped);
        }
        return run;
    }

    /// <summary>Asks the course for the next move and makes it; false when the cycle is over.</summary>
    private async Task<bool> MoveAsync(CycleRun run, CancellationToken stopping)
    {
        AddNew(run, run.Plan.Notes);
        var clusterLast = run.Snapshot.ClusterId is { } cluster ? _lanes?.LastDefragmentation(cluster) : null;
        var now = new CycleMoment(_time.GetUtcNow(), _time.GetElapsedTime(run.Began));
        (var move, run.Course) = run.Course.Next(run.Policy, run.Plan, run.State, now, clusterLast, stopping.IsCancellationRequested);
        switch (move)
        {
            case CycleMove.Wait wait:
                return await WaitAsync(run, wait, stopping);
            case CycleMove.Act act:
                return await ActAsync(run, act.Step, stopping);
            default:
                run.Interrupted = move is CycleMove.End { Reason: CycleEnd.Stopping };
                return false;
        }
    }

    /// <summary>Waits as the course said, then looks and plans again; false when a shutdown ended the wait.</summary>
    private async Task<bool> WaitAsync(CycleRun run, CycleMove.Wait wait, CancellationToken stopping)
    {
        if (wait.Announce)
        {
            _logger.LogInformation("Policy {Policy}: {Wait}", run.Policy.Key, wait.Message);
        }
        try
        {
            await Task.Delay(wait.Duration, _time, wait.EndsOnStop ? stopping : CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            run.Interrupted = true;
            return false;
        }
        await LookAsync(run);
        return true;
    }

    /// <summary>
    /// Takes the lane's turn and sends <paramref name="step"/> — unless the turn is refused, the
    /// course wants another look inside it, the state cannot be saved first, or the right to act was
    /// lost — then records it and looks again. False when the cycle is over.
    /// </summary>
    private async Task<bool> ActAsync(CycleRun run, HygieneStep step, CancellationToken stopping)
    {
        var policy = run.Policy;
        IMaintenanceTurn? turn = null;
        var waitedSince = _time.GetTimestamp();
        if (_lanes is not null && run.Snapshot.ClusterId is { } lane)
        {
            try
            {
                turn = await _lanes.EnterAsync(lane, policy, run.Plan.Urgent, stopping);
            }
            catch (OperationCanceledException)
            {
                run.Interrupted = true;
                return false;
            }
        }
        // Held for the step and the look after it.
        await using var held = turn;
        if (turn?.Refused is { } refused)
        {
            AddNew(run, [new PlanNote(NoteCode.MaintainedElsewhere, refused)]);
            _logger.LogInformation("Policy {Policy}: {Step} not done: {Reason}", policy.Key, step.Title, refused);
            return false;
        }
        if (turn?.Warning is { } warning)
        {
            AddNew(run, [PlanNote.Warning(NoteCode.ActingWithoutClusterLock, warning)]);
        }
        if (turn is not null && run.Course.LookAgainInTurn(turn.Changes, _time.GetElapsedTime(waitedSince)) is { } lookingAgain)
        {
            // Looked at inside the turn, so that nothing acts between this look and the step.
            run.Course = lookingAgain;
            await LookAsync(run);
            return true;
        }
        if (run.Plan.Preempting)
        {
            run.Progress.RecordPreemption();
        }

        var snapshot = run.Snapshot;
        await RunHookAsync(policy, "before the step", () => run.Hooks.BeforeStep?.Invoke(step, snapshot));
        if (step.Kind == StepKind.Defragment)
        {
            run.State = KeptHistory.BeforeDefragmentation(run.State, step, _time.GetUtcNow());
            if (await SaveBeforeDefragmentationAsync(policy, run.Hooks, run.State) is { } unsaved)
            {
                // A defragmentation nobody recorded could be repeated at once by a restarted
                // process, without the pause: better not to start it.
                AddNew(run, [PlanNote.Warning(NoteCode.ProgressNotSaved, $"{step.Title} not started: the kept state could not be saved first ({unsaved})")]);
                run.Interrupted = true;
                return false;
            }
        }
        // The fence, after every hook and save, immediately before the request.
        if (turn?.WhyNotEntitled() is { } lost)
        {
            AddNew(run, [PlanNote.Warning(NoteCode.ActingRightLost, $"{step.Title} not started: {lost}")]);
            run.Interrupted = true;
            return false;
        }
        var outcome = await ExecuteAsync(policy, step);
        run.Course = run.Course.Acted(turn?.Acted(step, _time.GetUtcNow()));
        if (outcome.Result == StepResult.Succeeded)
        {
            outcome = await RecordAsync(run, outcome);
        }
        run.Outcomes.Add(outcome);
        if (outcome.Result == StepResult.Failed)
        {
            return false;
        }
        run.Plan = HygienePlanner.Plan(policy, run.Snapshot, run.State, run.Progress, _time);
        return true;
    }

    /// <summary>After a step that succeeded: the kept state saved, a look (after a compaction, once it settled), what a defragmentation gave back.</summary>
    private async Task<StepOutcome> RecordAsync(CycleRun run, StepOutcome outcome)
    {
        var step = outcome.Step;
        var sizeBefore = step.Kind == StepKind.Defragment ? run.Snapshot.Member(step.MemberId!.Value)?.Status?.DbSizeBytes : null;
        run.State = KeptHistory.AfterStep(run.State, step, run.Progress, _time.GetUtcNow());
        if (step.Kind is StepKind.Compact or StepKind.Defragment)
        {
            var state = run.State;
            await RunHookAsync(run.Policy, "saving progress", () => run.Hooks.SaveProgress?.Invoke(state));
        }
        (run.Snapshot, run.State) = step.Kind == StepKind.Compact
            ? await ObserveCompactedAsync(run.Policy, run.State, run.Snapshot)
            : await ObserveAsync(run.Policy, run.State, CancellationToken.None);
        if (sizeBefore is { } before && run.Snapshot.Member(step.MemberId!.Value)?.Status is { } status)
        {
            outcome = outcome with { ReclaimedBytes = Math.Max(0, before - status.DbSizeBytes) };
        }
        if (SlowDefragmentation.Note(step, outcome.Duration) is { } slow)
        {
            AddNew(run, [slow]);
        }
        return outcome;
    }

    /// <summary>Looks at the cluster and plans again.</summary>
    private async Task LookAsync(CycleRun run)
    {
        (run.Snapshot, run.State) = await ObserveAsync(run.Policy, run.State, CancellationToken.None);
        run.Plan = HygienePlanner.Plan(run.Policy, run.Snapshot, run.State, run.Progress, _time);
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

    private void AddNew(CycleRun run, IReadOnlyList<PlanNote> fresh)
    {
        foreach (var note in fresh.Where(n => !run.Notes.Contains(n)))
        {
            run.Notes.Add(note);
            _logger.Log(note.Severity == NoteSeverity.Warning ? LogLevel.Warning : LogLevel.Debug,
                "Policy {Policy}: {Code}: {Message}", run.Policy.Key, note.Code, note.Message);
        }
    }
}
