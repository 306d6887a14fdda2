namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// What the explorer's invariants judged over a run, counted: each must be above zero, the proof
/// that the generated worlds reach what the invariant looks at (a positive control).
/// </summary>
internal static class ExplorerTally
{
    private static long _noSpaceJudged;
    private static long _invalidRefused;
    private static long _outsideRefused;
    private static long _logLines;
    private static long _leaderInPlace;
    private static long _cycleGaps;
    private static long _defragmentationCrashes;
    private static long _writesLostKnowingly;

    public static void NoSpaceJudged() => Interlocked.Increment(ref _noSpaceJudged);

    public static void Refused(PolicyDocument document) =>
        Interlocked.Increment(ref document.InvalidField is null ? ref _outsideRefused : ref _invalidRefused);

    public static void LogLines(int lines) => Interlocked.Add(ref _logLines, lines);

    public static void LeaderInPlace() => Interlocked.Increment(ref _leaderInPlace);

    public static void CycleGaps(int gaps) => Interlocked.Add(ref _cycleGaps, gaps);

    public static void DefragmentationCrash(bool lostWrites)
    {
        Interlocked.Increment(ref _defragmentationCrashes);
        if (lostWrites)
        {
            Interlocked.Increment(ref _writesLostKnowingly);
        }
    }

    /// <summary>Each count by name, and zeroes them for the next run.</summary>
    public static IReadOnlyDictionary<string, long> Take() => new Dictionary<string, long>
    {
        ["NOSPACE raises judged (rule 11)"] = Interlocked.Exchange(ref _noSpaceJudged, 0),
        ["invalid specs refused (rule 5)"] = Interlocked.Exchange(ref _invalidRefused, 0),
        ["policies outside the tenancy refused (rule 12)"] = Interlocked.Exchange(ref _outsideRefused, 0),
        ["log lines searched for the password (rule 6)"] = Interlocked.Exchange(ref _logLines, 0),
        ["leaders defragmented in place (rule 2, leader last)"] = Interlocked.Exchange(ref _leaderInPlace, 0),
        ["gaps between cycles judged (rule 4)"] = Interlocked.Exchange(ref _cycleGaps, 0),
        ["members crashed while defragmenting (rule 10)"] = Interlocked.Exchange(ref _defragmentationCrashes, 0),
        ["of them losing writes (rule 10's positive control: allowed by allowUnsafeEtcdVersions when no rule broke)"] = Interlocked.Exchange(ref _writesLostKnowingly, 0),
    };
}
