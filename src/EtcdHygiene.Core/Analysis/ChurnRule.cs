using System.Globalization;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Analysis;

/// <summary>
/// When a group's writes count as churn, and how to say it to a person. A group churns when at
/// least half of its writes change nothing and those no-op writes come at least once a second —
/// far above what a registry needs (go-micro refreshes leases instead of rewriting, every 30 s).
/// </summary>
public static class ChurnRule
{
    /// <summary>No-op writes a minute from which a group churns.</summary>
    public const double NoOpWritesPerMinute = 60;

    /// <summary>Share of no-op writes from which a group churns.</summary>
    public const double NoOpShare = 0.5;

    /// <summary>
    /// For history replayed without revision samples to date it, the no-op writes a ten-minute
    /// window at <see cref="NoOpWritesPerMinute"/> would hold.
    /// </summary>
    public const long NoOpWritesWithoutTime = (long)(NoOpWritesPerMinute * 10);

    /// <summary>True when <paramref name="group"/> churns.</summary>
    public static bool IsChurning(GroupFinding group) =>
        group.NoOpShare >= NoOpShare && (ChurnsByRate(group) || ChurnsByCount(group));

    private static bool ChurnsByRate(GroupFinding group) =>
        group.WritesPerMinute is { } rate && rate * group.NoOpShare >= NoOpWritesPerMinute;

    private static bool ChurnsByCount(GroupFinding group) =>
        group.UndatedWrites > 0 && group.NoOpWrites >= NoOpWritesWithoutTime;

    /// <summary>
    /// The sentence for a churning group, e.g. "/micro/registry/greeter/* is rewritten 118 times a
    /// minute; 96% of the writes only reorder $.endpoints (the elements that swap places agree on
    /// metadata.topic and differ on name): the writer sorts them by a key with ties (an unstable
    /// sort); sorting by a unique field such as name ends the churn".
    /// </summary>
    public static string Describe(GroupFinding group)
    {
        var culture = CultureInfo.InvariantCulture;
        var how = ChurnsByRate(group)
            ? string.Format(culture, "{0} is rewritten {1:0} times a minute", group.Group, group.WritesPerMinute)
            : string.Format(culture, "{0} was rewritten {1} times in the analysed history", group.Group, group.Writes);
        var (kind, share) = new[] { WriteKind.ReorderOnlyRewrite, WriteKind.IdenticalRewrite, WriteKind.LeaseRecreated }
            .Select(k => (Kind: k, Share: group.Share(k))).MaxBy(k => k.Share);
        var percent = string.Format(culture, "{0:0}%", Math.Floor(share * 100));
        var why = kind switch
        {
            WriteKind.ReorderOnlyRewrite => Reordering(group, percent),
            WriteKind.IdenticalRewrite => $"{percent} of the writes repeat the same bytes: the writer re-registers unchanged content instead of keeping its lease alive",
            _ => $"{percent} of the writes re-create the key with the same content under a new lease: the writer replaces its lease instead of keeping it alive",
        };
        var cost = ChurnsByRate(group) && group.HistoryBytesPerHour is { } perHour
            ? $"; that is {Quantity.FormatBytes((long)perHour)} of history an hour"
            : "";
        var changes = group.ChangedPath is { } changed && group.Share(WriteKind.Changed) > 0
            ? $"; the writes that do change something change {changed.Path} most often"
            : "";
        return $"{how}; {why}{cost}{changes}";
    }

    /// <summary>
    /// " (e.g. $.endpoints: [2] name="A", [3] name="B" → [2] name="B", [3] name="A")": one sampled
    /// write's flip of the group's top path, for an event or a log line; empty when none was sampled.
    /// </summary>
    public static string Example(GroupFinding group) =>
        group.Paths.FirstOrDefault() is { } path ? $" (e.g. {path.Path}: {path.Before} → {path.After})" : "";

    /// <summary>
    /// What the reorder-only writes reorder and what that says of the writer: with the path, and
    /// when the elements that swap places agree on a field and differ on another, the unstable sort.
    /// </summary>
    private static string Reordering(GroupFinding group, string percent)
    {
        if (group.ReorderedPath is not { } path)
        {
            return $"{percent} of the writes only reorder JSON arrays or members: the writer re-registers unchanged content";
        }
        var what = $"{percent} of the writes only reorder {path.Path}";
        if (path.Tie is { } tie)
        {
            return $"{what} (the elements that swap places agree on {string.Join(", ", tie.AgreeOn)} and differ on {tie.DifferOn}): " +
                $"the writer sorts them by a key with ties (an unstable sort); sorting by a unique field such as {tie.DifferOn} ends the churn";
        }
        return $"{what}: the writer serialises an unordered collection (a map or a set) — sort it before registering";
    }
}
