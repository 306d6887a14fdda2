using System.Globalization;
using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Analysis.Paths;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Reporting;

/// <summary>
/// A ranked key group in the one shape both <c>status.hotKeys</c> and <c>analyze --output json</c>
/// use, so a script reads the operator's findings and the CLI's alike. Ratios are decimal strings,
/// as Kubernetes status avoids floats.
/// </summary>
public static class HotKeys
{
    /// <summary>The status shape of <paramref name="group"/>.</summary>
    public static HotKeyStatus Of(GroupFinding group)
    {
        var churning = ChurnRule.IsChurning(group);
        return new HotKeyStatus
        {
            KeyGroup = group.Group,
            Writes = group.Writes,
            WritesPerMinute = group.WritesPerMinute is { } rate ? (long)Math.Round(rate) : null,
            NoOpWrites = group.NoOpWrites,
            IdenticalRatio = Ratio(group.Share(WriteKind.IdenticalRewrite)),
            ReorderOnlyRatio = Ratio(group.Share(WriteKind.ReorderOnlyRewrite)),
            LeaseRecreatedRatio = Ratio(group.Share(WriteKind.LeaseRecreated)),
            ChangedRatio = Ratio(group.Share(WriteKind.Changed)),
            HistoryBytesPerHour = group.HistoryBytesPerHour is { } perHour ? (long)perHour : null,
            HistoryShare = Ratio(group.HistoryShare),
            Churning = churning,
            Diagnosis = churning ? ChurnRule.Describe(group) : null,
            FlippingPaths = group.Paths.Select(Of).ToList(),
        };
    }

    private static FlippingPathStatus Of(PathFinding path) => new()
    {
        Path = path.Path,
        Kind = path.Kind.ToString(),
        Writes = path.Writes,
        Examined = path.Examined,
        Before = path.Before,
        After = path.After,
        AgreeOn = path.Tie?.AgreeOn.ToList(),
        DifferOn = path.Tie?.DifferOn,
    };

    private static string Ratio(double share) => share.ToString("0.00", CultureInfo.InvariantCulture);
}
