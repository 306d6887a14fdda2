using EtcdHygiene.Core.Tenancy;

namespace EtcdHygiene.Operator.Controller;

/// <summary>How the operator runs: what it watches and how it elects a leader.</summary>
public sealed record OperatorOptions
{
    /// <summary>The namespace to watch, or null for all.</summary>
    public string? Namespace { get; init; }

    /// <summary>Run only while holding the Lease (for more than one replica).</summary>
    public bool LeaderElect { get; init; }

    /// <summary>Namespace of the Lease.</summary>
    public string LeaseNamespace { get; init; } = "default";

    /// <summary>Name of the Lease.</summary>
    public string LeaseName { get; init; } = "etcd-hygiene-leader";

    /// <summary>This replica's identity in the Lease (the pod name).</summary>
    public string Identity { get; init; } = Environment.MachineName;

    /// <summary>How long a Lease holds without renewal.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps trying to renew before giving up.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often candidates retry.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>What policies of which namespaces may maintain; none by default.</summary>
    public TenancyRules Tenancy { get; init; } = TenancyRules.None;

    /// <summary>Concurrent reconciles (of different policies).</summary>
    public int Workers { get; init; } = 2;
}
