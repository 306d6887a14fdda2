namespace EtcdHygiene.Core.Observation;

/// <summary>
/// What one observation of an etcd cluster saw: every member (answering or not), the alarms the
/// cluster lists, and the problems met while looking. It is a value: the planner decides from it
/// without any I/O.
/// </summary>
public sealed record ClusterSnapshot
{
    /// <summary>When the observation finished, from the injected clock.</summary>
    public required DateTimeOffset ObservedAt { get; init; }

    /// <summary>Every member MemberList named, reachable or not, in MemberList order.</summary>
    public required IReadOnlyList<MemberSnapshot> Members { get; init; }

    /// <summary>Alarms as the cluster lists them (raised by one member, listed by all).</summary>
    public required IReadOnlyList<ActiveAlarm> Alarms { get; init; }

    /// <summary>False when no member could list alarms: an empty <see cref="Alarms"/> then proves nothing.</summary>
    public bool AlarmsKnown { get; init; } = true;

    /// <summary>Problems that are not a single member's, e.g. "no endpoint answered MemberList".</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>The member that calls itself leader, when exactly one reachable member does.</summary>
    public MemberSnapshot? Leader
    {
        get
        {
            var leaders = Members.Where(m => m.IsLeader).ToList();
            return leaders.Count == 1 ? leaders[0] : null;
        }
    }

    /// <summary>The cluster's id, as its reachable members report it; null when none answered.</summary>
    public ulong? ClusterId => Members.Select(m => m.Status?.ClusterId).FirstOrDefault(id => id is > 0);

    /// <summary>The newest revision any reachable member reported.</summary>
    public long? Revision => Members.Select(m => m.Status?.Revision).Max();

    /// <summary>The highest compacted revision any member reported; null when none did.</summary>
    public long? CompactRevision => Members.Select(m => m.CompactRevision).Max();

    /// <summary>True when the NOSPACE alarm is listed for any member.</summary>
    public bool HasNoSpaceAlarm => Alarms.Any(a => a.Alarm == AlarmKind.NoSpace);

    /// <summary>The member with this id, or null.</summary>
    public MemberSnapshot? Member(ulong id) => Members.FirstOrDefault(m => m.Id == id);
}
