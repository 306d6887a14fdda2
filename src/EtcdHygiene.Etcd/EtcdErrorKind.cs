namespace EtcdHygiene.Etcd;

/// <summary>What went wrong with an etcd call, in terms the hygiene engine can decide on.</summary>
public enum EtcdErrorKind
{
    /// <summary>Not one of the kinds below; the message carries etcd's own words.</summary>
    Unknown,
    /// <summary>The member could not be connected to.</summary>
    Unreachable,
    /// <summary>The call did not finish within its timeout.</summary>
    TimedOut,
    /// <summary>etcdserver: mvcc: database space exceeded (the NOSPACE alarm is active).</summary>
    NoSpace,
    /// <summary>The requested revision has been compacted already.</summary>
    RevisionCompacted,
    /// <summary>The requested revision is newer than the store's.</summary>
    FutureRevision,
    /// <summary>The user lacks the permission for this call.</summary>
    PermissionDenied,
    /// <summary>Authentication failed (bad user or password, expired token).</summary>
    AuthenticationFailed,
    /// <summary>The call must go to the leader and this member is not it.</summary>
    NotLeader,
    /// <summary>The target is not allowed for this call (e.g. a learner, an unknown member).</summary>
    InvalidTarget,
    /// <summary>The cluster has no leader right now.</summary>
    NoLeader,
    /// <summary>TLS failed: the server's certificate is not trusted, or ours is refused or out of its validity.</summary>
    TlsFailed,
}
