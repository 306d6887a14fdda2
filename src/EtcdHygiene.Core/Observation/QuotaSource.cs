namespace EtcdHygiene.Core.Observation;

/// <summary>Where a member's backend quota was learned.</summary>
public enum QuotaSource
{
    /// <summary>Not known: etcd did not tell and the policy did not say.</summary>
    Unknown,
    /// <summary>Status' dbSizeQuota (etcd 3.6 and later).</summary>
    Status,
    /// <summary>The member's etcd_server_quota_backend_bytes on /metrics.</summary>
    Metrics,
    /// <summary>The policy's quotaBackendBytes.</summary>
    Policy,
}
