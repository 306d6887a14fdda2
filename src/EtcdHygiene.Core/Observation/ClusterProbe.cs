namespace EtcdHygiene.Core.Observation;

/// <summary>
/// What the watch sees between cycles: each member's Status only — its file size and the alarms
/// its Status lists — one cheap RPC per member. No health read, no member list, no /metrics.
/// </summary>
public sealed record ClusterProbe
{
    /// <summary>When the probe finished.</summary>
    public required DateTimeOffset ObservedAt { get; init; }

    /// <summary>The members that answered.</summary>
    public required IReadOnlyList<MemberProbe> Members { get; init; }

    /// <summary>True when a member lists a NOSPACE alarm.</summary>
    public bool HasNoSpaceAlarm => Members.Any(m => m.Alarms.Contains(AlarmKind.NoSpace));

    /// <summary>True when a member lists a CORRUPT alarm.</summary>
    public bool HasCorruptAlarm => Members.Any(m => m.Alarms.Contains(AlarmKind.Corrupt));

    /// <summary>
    /// A full observation seen as a probe: the sizes of the members that answered and the alarms
    /// the cluster lists, so that the watch's first look after a cycle can already measure growth.
    /// </summary>
    public static ClusterProbe Of(ClusterSnapshot snapshot) => new()
    {
        ObservedAt = snapshot.ObservedAt,
        Members = snapshot.Members
            .Where(m => m.Status is not null)
            .Select(m => new MemberProbe(m.Id, m.Status!.DbSizeBytes, snapshot.Alarms.Select(a => a.Alarm).Distinct().ToList()))
            .ToList(),
    };
}
