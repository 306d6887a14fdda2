using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Planning;

/// <summary>
/// Every decision a cycle makes between its looks, as pure functions of the policy, the plan, the
/// kept state and the time: whether to send the plan's first step, wait out the pause between
/// members, ask a member again while writes are refused, or end. An immutable record of what the
/// cycle has done so far: each decision returns the next course, so a test replays any sequence
/// of plans and times without etcd. <c>HygieneCycle</c> executes the moves.
/// </summary>
public sealed record CycleCourse
{
    /// <summary>How many steps this cycle may take: a few per member, and some to spare for compactions and disarming.</summary>
    public required int StepBudget { get; init; }

    /// <summary>Steps sent so far.</summary>
    public int StepsTaken { get; init; }

    /// <summary>A plan of this cycle was urgent (writes refused or about to be); it stays so for the rest of the cycle.</summary>
    public bool Urgent { get; init; }

    /// <summary>Since when (on the cycle's monotonic clock) an urgent plan has been empty only because something could not be seen.</summary>
    public TimeSpan? BlockedSince { get; init; }

    /// <summary>The pause between members was waited since the last step or the last look inside a turn.</summary>
    public bool Paused { get; init; }

    /// <summary>The cluster lane's count of steps at this cycle's last look; null when unknown.</summary>
    public long? SeenChanges { get; init; }

    /// <summary>The cycle already looked again because its turn was long in coming, for the step it is about to take.</summary>
    public bool LookedAfterWaiting { get; init; }

    /// <summary>
    /// The course of a cycle whose first look saw <paramref name="first"/>. <paramref name="seenChanges"/>
    /// is the lane's count read before that look, for the cluster it saw (null when unknown).
    /// </summary>
    public static CycleCourse Start(ClusterSnapshot first, long? seenChanges) =>
        new() { StepBudget = 4 * Math.Max(1, first.Members.Count) + 8, SeenChanges = seenChanges };

    /// <summary>
    /// What to do with <paramref name="plan"/>, made from the latest look. <paramref name="clusterLastDefragmentation"/>
    /// is the cluster's last defragmentation by any policy of this process, which the pause also counts from.
    /// </summary>
    public (CycleMove Move, CycleCourse Course) Next(HygienePolicy policy, HygienePlan plan, HygieneState state, CycleMoment at, DateTimeOffset? clusterLastDefragmentation, bool stopping)
    {
        var course = this with { Urgent = Urgent || plan.Urgent };
        if (!plan.HasSteps && course.Urgent && Retryable(plan) && !stopping)
        {
            // While writes are refused (or about to be), one bad observation must not end the
            // recovery: a member busy finishing its defragmentation, or slow on a loaded machine,
            // is asked again until spec.etcd.requestTimeout has passed.
            var since = course.BlockedSince ?? at.SinceStart;
            if (at.SinceStart - since < policy.Etcd.RequestTimeout)
            {
                return (new CycleMove.Wait(BlockedRetryPoll, WaitReason.MemberNotBack,
                    $"nothing can be done until a member answers ({string.Join(", ", plan.Notes.Where(IsRetryable).Select(n => n.Code).Distinct())}): asking again"),
                    course with { BlockedSince = since });
            }
        }
        if (!plan.HasSteps)
        {
            return (new CycleMove.End(CycleEnd.NothingLeft), course);
        }
        if (course.StepsTaken >= course.StepBudget)
        {
            return (new CycleMove.End(CycleEnd.StepBudgetSpent), course);
        }
        course = course with { BlockedSince = null };
        if (stopping)
        {
            return (new CycleMove.End(CycleEnd.Stopping), course);
        }
        var step = plan.Steps[0];
        // While writes are refused the pause is not waited: before the next member the plan
        // already requires the one just defragmented to answer a health read and the quorum to hold.
        // The pause counts from the last defragmentation in this cycle, an earlier one, an earlier
        // process (the state is saved before every defragmentation), so a restart never shortens
        // it, or another policy of the same cluster.
        if (step.Kind == StepKind.Defragment && !plan.Urgent && !course.Paused
            && DefragPause.Left(policy.Defragmentation.PauseBetweenMembers, state, at.Now, clusterLastDefragmentation) is { } left)
        {
            // The cluster may change during the pause: the cycle looks and plans again before touching a member.
            return (new CycleMove.Wait(left, WaitReason.PauseBetweenMembers,
                $"{step.Title} in {left.TotalSeconds:0.0}s: spec.defragmentation.pauseBetweenMembers has not passed since the last defragmentation"),
                course with { Paused = true });
        }
        return (new CycleMove.Act(step), course);
    }

    /// <summary>
    /// Whether the cycle must look again inside the turn it was just given, before its step: another
    /// policy or process acted since its last look (the lane's count moved), or the turn was long in
    /// coming (another policy's step, and its look after it, on a member that stopped answering
    /// meanwhile — the schedule explorer found a defragmentation sent 10 s after a voter hung). Null
    /// when the plan stands; else the course to look again with. Once per step after a long wait: a
    /// turn that is always slow to take (a slow lock request) must not stop the cycle.
    /// </summary>
    public CycleCourse? LookAgainInTurn(long changes, TimeSpan waitedForTurn)
    {
        var waitedLong = waitedForTurn > StaleAfterWaiting && !LookedAfterWaiting;
        if (changes == SeenChanges && !waitedLong)
        {
            return null;
        }
        // A pause already waited may have been cut short by another policy's defragmentation since.
        return this with { SeenChanges = changes, Paused = false, LookedAfterWaiting = LookedAfterWaiting || waitedLong };
    }

    /// <summary>The course after a step was sent; <paramref name="changes"/> is the lane's count after it, when there is a lane.</summary>
    public CycleCourse Acted(long? changes) =>
        this with { StepsTaken = StepsTaken + 1, Paused = false, LookedAfterWaiting = false, SeenChanges = changes ?? SeenChanges };

    /// <summary>The plan has nothing to do only because something could not be seen or a member is not back yet.</summary>
    private static bool Retryable(HygienePlan plan) => plan.Notes.Any(IsRetryable);

    private static bool IsRetryable(PlanNote note) =>
        note.Code is NoteCode.DefragBlocked or NoteCode.ClusterUnreachable or NoteCode.AlarmsUnknown or NoteCode.QuotaUnknown;

    /// <summary>How long a wait for the turn may take before the plan's observation counts as stale.</summary>
    public static readonly TimeSpan StaleAfterWaiting = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Often enough that a member back from its defragmentation is seen at once, rarely enough not
    /// to load a member that is still busy.
    /// </summary>
    public static readonly TimeSpan BlockedRetryPoll = TimeSpan.FromMilliseconds(200);
}
