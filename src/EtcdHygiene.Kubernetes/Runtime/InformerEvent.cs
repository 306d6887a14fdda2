namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>What happened to an object, as the informer's cache saw it.</summary>
public enum InformerEventType
{
    /// <summary>New in the cache.</summary>
    Added,
    /// <summary>Changed.</summary>
    Modified,
    /// <summary>Gone (also when it vanished while the watch was down).</summary>
    Deleted,
}
