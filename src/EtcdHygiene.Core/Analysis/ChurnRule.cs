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
    /// minute; 96% of the writes only reorder JSON arrays or members: the writer re-registers unchanged content".
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
            WriteKind.ReorderOnlyRewrite => $"{percent} of the writes only reorder JSON arrays or members: the writer re-registers unchanged content",
            WriteKind.IdenticalRewrite => $"{percent} of the writes repeat the same bytes: the writer re-registers unchanged content instead of keeping its lease alive",
            _ => $"{percent} of the writes re-create the key with the same content under a new lease: the writer replaces its lease instead of keeping it alive",
        };
        var cost = ChurnsByRate(group) && group.HistoryBytesPerHour is { } perHour
            ? $"; that is {Quantity.FormatBytes((long)perHour)} of history an hour"
            : "";
        return $"{how}; {why}{cost}";
    }
}
