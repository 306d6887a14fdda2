namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>The <c>type</c> of a watch event, as the API server writes it (ADDED, MODIFIED…).</summary>
public enum WatchEventType
{
    /// <summary>An object was created, or is listed at the start of a watch.</summary>
    Added,

    /// <summary>An object changed.</summary>
    Modified,

    /// <summary>An object was deleted.</summary>
    Deleted,

    /// <summary>The watch failed; the object is a Status.</summary>
    Error,

    /// <summary>Only the resourceVersion the watch has reached.</summary>
    Bookmark,
}
