namespace EtcdHygiene.Core.Watching;

/// <summary>
/// How much each member's file is expected to grow before the watch looks again, at the rate the
/// watch measured. Prevention acts on the size a member will have, not only on the size it has:
/// a registry that fills the last 5% of the quota within a second would otherwise be refused
/// before the next look.
/// </summary>
/// <param name="BytesBeforeNextLook">Expected growth by member id.</param>
public sealed record GrowthOutlook(IReadOnlyDictionary<ulong, long> BytesBeforeNextLook)
{
    /// <summary>No growth expected.</summary>
    public static GrowthOutlook None { get; } = new(new Dictionary<ulong, long>());

    /// <summary>The growth expected of <paramref name="memberId"/>.</summary>
    public long Of(ulong memberId) => BytesBeforeNextLook.GetValueOrDefault(memberId);
}
