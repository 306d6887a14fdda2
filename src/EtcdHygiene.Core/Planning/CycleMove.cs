namespace EtcdHygiene.Core.Planning;

/// <summary>
/// What the cycle does next, as <see cref="CycleCourse.Next"/> decides it: send a step, wait and
/// look again, or end. The cycle executes the move and decides nothing itself.
/// </summary>
public abstract record CycleMove
{
    private CycleMove()
    {
    }

    /// <summary>Send <paramref name="Step"/>, once the cluster's lane gives this policy its turn.</summary>
    public sealed record Act(HygieneStep Step) : CycleMove;

    /// <summary>
    /// Wait <paramref name="Duration"/>, then look at the cluster and plan again.
    /// <paramref name="Message"/> says why.
    /// </summary>
    public sealed record Wait(TimeSpan Duration, WaitReason Reason, string Message) : CycleMove
    {
        /// <summary>
        /// True when a shutdown ends the wait, and the cycle with it: the pause between members
        /// may be minutes long, while the retry near NOSPACE is a moment and its recovery must not
        /// be left half-done.
        /// </summary>
        public bool EndsOnStop => Reason == WaitReason.PauseBetweenMembers;

        /// <summary>
        /// True for a wait worth a line in the log: the pause. The retry near NOSPACE asks every
        /// 200 ms, and the note that blocked the plan already says why.
        /// </summary>
        public bool Announce => Reason == WaitReason.PauseBetweenMembers;
    }

    /// <summary>End the cycle, for <paramref name="Reason"/>.</summary>
    public sealed record End(CycleEnd Reason) : CycleMove;
}
