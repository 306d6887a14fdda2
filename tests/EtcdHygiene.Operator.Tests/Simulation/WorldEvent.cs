namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>What can happen to the world during a schedule.</summary>
public enum WorldEventKind
{
    /// <summary>The registry writes: <see cref="WorldEvent.Count"/> rewrites (and a few new keys) of <see cref="WorldEvent.Bytes"/> each.</summary>
    Write,
    /// <summary>A member stops.</summary>
    StopMember,
    /// <summary>A member hangs (SIGSTOP).</summary>
    HangMember,
    /// <summary>A stopped or hung member runs again.</summary>
    StartMember,
    /// <summary>The leader loses an election.</summary>
    Reelect,
    /// <summary>A member raises CORRUPT.</summary>
    RaiseCorrupt,
    /// <summary>A learner joins.</summary>
    AddLearner,
    /// <summary>The cluster is destroyed and created again at the same addresses.</summary>
    Recreate,
    /// <summary>The wall clock is stepped by <see cref="WorldEvent.Count"/> seconds.</summary>
    ClockJump,
    /// <summary>A process is killed (SIGKILL): its steps in flight go on in etcd, its lock keys live until their lease ends.</summary>
    KillProcess,
    /// <summary>A killed process starts again with the state it had saved.</summary>
    RestartProcess,
    /// <summary>
    /// The next member to defragment from then on crashes halfway through (the OOM killer, say)
    /// and starts again <see cref="WorldEvent.Count"/> seconds later.
    /// </summary>
    CrashWhileDefragmenting,
}

/// <summary>One event of a schedule, at a time since its start (monotonic).</summary>
/// <param name="At">When.</param>
/// <param name="Kind">What.</param>
/// <param name="Target">Which member or process (an index).</param>
/// <param name="Count">How many writes, or the jump in seconds.</param>
/// <param name="Bytes">The size of each write.</param>
public sealed record WorldEvent(TimeSpan At, WorldEventKind Kind, int Target = 0, long Count = 0, long Bytes = 0)
{
    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        WorldEventKind.Write => $"{At:hh\\:mm\\:ss} write {Count} x {Bytes} B",
        WorldEventKind.ClockJump => $"{At:hh\\:mm\\:ss} wall clock {(Count >= 0 ? "+" : "")}{Count}s",
        WorldEventKind.KillProcess or WorldEventKind.RestartProcess => $"{At:hh\\:mm\\:ss} {Kind} p{Target}",
        WorldEventKind.Reelect or WorldEventKind.AddLearner or WorldEventKind.Recreate => $"{At:hh\\:mm\\:ss} {Kind}",
        WorldEventKind.CrashWhileDefragmenting => $"{At:hh\\:mm\\:ss} the next member to defragment crashes halfway, back after {Count}s",
        _ => $"{At:hh\\:mm\\:ss} {Kind} m{Target}",
    };
}
