namespace EtcdHygiene.Core.Planning;

/// <summary>The cluster's revision at one moment: what periodic compaction measures time with.</summary>
/// <param name="At">When it was observed.</param>
/// <param name="Revision">The revision then.</param>
public sealed record RevisionSample(DateTimeOffset At, long Revision);
