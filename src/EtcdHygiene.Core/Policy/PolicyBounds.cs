namespace EtcdHygiene.Core.Policy;

/// <summary>
/// The bounds of the RegistryPolicy API's lists and strings, in one place: the CRD publishes them
/// (the API server then refuses an oversized object, and its CEL cost estimate stays finite) and
/// the validator checks them for policy files.
/// </summary>
public static class PolicyBounds
{
    /// <summary>spec.etcd.endpoints: items.</summary>
    public const int Endpoints = 32;
    /// <summary>spec.etcd.endpoints[]: characters of one URL.</summary>
    public const int EndpointLength = 512;
    /// <summary>spec.analysis.prefixes: items.</summary>
    public const int Prefixes = 32;
    /// <summary>spec.analysis.prefixes[], spec.etcd.lockPrefix: characters of a key prefix.</summary>
    public const int KeyPrefixLength = 512;
    /// <summary>spec.defragmentation.schedule: characters.</summary>
    public const int ScheduleLength = 128;
    /// <summary>A duration or quantity: characters.</summary>
    public const int ShortTextLength = 64;

    /// <summary>
    /// What the schema lets through as a cron expression: five fields of Cronos' characters, or a
    /// macro (@daily…). The validator parses it for real; this catches the common mistakes before
    /// the object is stored, with a message a person understands. Written as the content of a CEL
    /// string literal: its backslashes are doubled.
    /// </summary>
    public const string CronCelPattern = @"^\\s*(@[a-z_]+|[0-9A-Za-z*?/,#-]+(\\s+[0-9A-Za-z*?/,#-]+){4})\\s*$";

    /// <summary>The shortest spec.alarms.checkInterval: every check reads every member's Status.</summary>
    public const string MinCheckInterval = "200ms";
}
