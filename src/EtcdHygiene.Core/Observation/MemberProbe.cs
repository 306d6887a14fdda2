namespace EtcdHygiene.Core.Observation;

/// <summary>One member as the watch saw it.</summary>
/// <param name="Id">The member's id.</param>
/// <param name="DbSizeBytes">Physical size of its backend file.</param>
/// <param name="Alarms">Alarms its Status lists (etcd lists the cluster's alarms on every member).</param>
public sealed record MemberProbe(ulong Id, long DbSizeBytes, IReadOnlyList<AlarmKind> Alarms);
