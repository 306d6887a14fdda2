namespace EtcdHygiene.Core.Planning;

/// <summary>
/// etcd ends a request after 5 s plus two election timeouts (7 s at its defaults). A member
/// applies nothing while it defragments, so a defragmentation longer than that times out the
/// writes sent through that member, whichever tool runs it (README, Performance: about 8 s for
/// an 867 MiB file on etcd 3.4 here). Said as a warning, because the registry's owners see
/// failed registrations and nothing else would tell them why.
/// </summary>
public static class SlowDefragmentation
{
    /// <summary>etcd's request timeout at its defaults.</summary>
    public static readonly TimeSpan EtcdRequestTimeout = TimeSpan.FromSeconds(7);

    /// <summary>The warning for a defragmentation <paramref name="step"/> that succeeded after <paramref name="took"/>, or null when it was quick enough.</summary>
    public static PlanNote? Note(HygieneStep step, TimeSpan took) =>
        step.Kind == StepKind.Defragment && took > EtcdRequestTimeout
            ? PlanNote.Warning(NoteCode.SlowDefragmentation,
                $"defragmenting {step.MemberName} took {took.TotalSeconds:0.0}s, longer than etcd's request timeout (5s plus two election timeouts, 7s by default): " +
                $"any write sent through {step.MemberName} meanwhile timed out. Keep the database smaller (compaction), defragment in a quiet window (spec.defragmentation.schedule), " +
                "or let clients fail over (etcd's --experimental-stop-grpc-service-on-defrag, with clients that check health)")
            : null;
}
