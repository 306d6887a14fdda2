namespace EtcdHygiene.Core.Tenancy;

/// <summary>What a tenancy rule allows where it does not say.</summary>
public static class TenancyDefaults
{
    /// <summary>
    /// rules[].minRetention: 5 minutes, the default compaction interval. A registry client that
    /// resumes its watch after a short disconnection needs the history since; below a few minutes
    /// every reconnect risks "required revision has been compacted" and a full re-list.
    /// </summary>
    public static readonly TimeSpan MinRetention = TimeSpan.FromMinutes(5);

    /// <summary>rules[].minRetainRevisions, the same safeguard for Revision mode.</summary>
    public const long MinRetainRevisions = 1_000;
}
