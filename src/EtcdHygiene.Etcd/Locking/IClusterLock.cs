namespace EtcdHygiene.Etcd.Locking;

/// <summary>
/// The lock a process holds in an etcd cluster while it maintains it (<see cref="ClusterLock"/>);
/// an interface so that the schedule explorer can run the real lanes over a simulated cluster.
/// </summary>
public interface IClusterLock : IAsyncDisposable
{
    /// <summary>The key prefix the lock lives under.</summary>
    string Prefix { get; }

    /// <summary>True while this contender holds the lock and its lease is known alive: the fence.</summary>
    bool IsHeld { get; }

    /// <summary>Queues for the lock when not queued yet, then says where this contender stands; never throws for etcd's answers.</summary>
    Task<LockView> AcquireAsync(CancellationToken cancellationToken);
}

/// <summary>Makes the contender for the lock under <paramref name="prefix"/>, named <paramref name="identity"/>, over a policy's connection.</summary>
public delegate IClusterLock ClusterLockFactory(EtcdConnectionOptions options, string prefix, string identity);
