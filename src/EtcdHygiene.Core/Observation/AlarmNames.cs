namespace EtcdHygiene.Core.Observation;

/// <summary>How etcd spells its alarms (its AlarmType enum): what status, metrics and reports show.</summary>
public static class AlarmNames
{
    /// <summary>"NOSPACE", "CORRUPT"; "UNKNOWN" for a type this version does not know.</summary>
    public static string WireName(this AlarmKind alarm) => alarm switch
    {
        AlarmKind.NoSpace => "NOSPACE",
        AlarmKind.Corrupt => "CORRUPT",
        _ => "UNKNOWN",
    };
}
