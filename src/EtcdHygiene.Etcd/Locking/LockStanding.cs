namespace EtcdHygiene.Etcd.Locking;

/// <summary>Where a contender stands with a <see cref="ClusterLock"/>.</summary>
public enum LockStanding
{
    /// <summary>This contender holds the lock: it may act on the cluster.</summary>
    Held,

    /// <summary>Another contender holds it: wait.</summary>
    HeldElsewhere,

    /// <summary>
    /// Nobody holds it and this contender could not queue for it (etcd refuses writes at NOSPACE,
    /// or a lease grant failed).
    /// </summary>
    Unavailable,

    /// <summary>The queue could not be read: nobody can say who holds the lock.</summary>
    Unknown,
}
