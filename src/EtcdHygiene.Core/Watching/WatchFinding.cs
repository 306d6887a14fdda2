namespace EtcdHygiene.Core.Watching;

/// <summary>Why the watch starts a cycle now, and the growth it measured on the way.</summary>
/// <param name="Reason">For people: "a NOSPACE alarm was raised", "m1 reaches 95% of its quota within 4s".</param>
/// <param name="Outlook">The growth to plan for; prevention counts it.</param>
public sealed record WatchFinding(string Reason, GrowthOutlook Outlook);
