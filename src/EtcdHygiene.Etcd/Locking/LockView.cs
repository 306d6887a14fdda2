namespace EtcdHygiene.Etcd.Locking;

/// <summary>
/// The answer of <see cref="ClusterLock.AcquireAsync"/>: where this contender stands, who holds the
/// lock (the holder's identity, as it wrote it) and, when it could not queue, why.
/// </summary>
public sealed record LockView(LockStanding Standing, string? Holder, string? Problem);
