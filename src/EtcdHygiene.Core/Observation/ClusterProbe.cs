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
}
