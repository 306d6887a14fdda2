using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Observation;

namespace EtcdHygiene.Etcd;

/// <summary>
/// What a policy's runtime holds of one etcd cluster between cycles: the maintenance calls, and
/// the cheap status probe its poll makes between them. <see cref="EtcdClusterConnection"/> in the
/// product; a simulated cluster in the schedule explorer.
/// </summary>
public interface IClusterConnection : IEtcdMaintenance, IAsyncDisposable
{
    /// <summary>How it connects (replaced when these change).</summary>
    EtcdConnectionOptions Options { get; }

    /// <summary>One Status per member: sizes and the alarms each lists; members that do not answer are left out.</summary>
    Task<ClusterProbe> ProbeAsync(CancellationToken cancellationToken);
}

/// <summary>Opens the connection a policy's runtime uses for <paramref name="options"/>.</summary>
public delegate IClusterConnection ClusterConnectionFactory(EtcdConnectionOptions options);
