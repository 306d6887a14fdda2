namespace EtcdHygiene.Core.Observation;

/// <summary>An alarm etcd lists, and the member that raised it.</summary>
/// <param name="MemberId">The member that raised the alarm.</param>
/// <param name="Alarm">Which alarm.</param>
public sealed record ActiveAlarm(ulong MemberId, AlarmKind Alarm);

/// <summary>etcd's alarm types.</summary>
public enum AlarmKind
{
    /// <summary>An alarm type this version does not know.</summary>
    Unknown,
    /// <summary>The backend reached its quota: writes are refused until disarmed.</summary>
    NoSpace,
    /// <summary>A member's data is corrupt. Never disarmed automatically.</summary>
    Corrupt,
}
