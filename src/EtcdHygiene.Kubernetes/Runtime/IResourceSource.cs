using k8s;
using k8s.Models;

namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>LIST and WATCH of one resource type, in one namespace or all.</summary>
public interface IResourceSource<T> where T : IKubernetesObject<V1ObjectMeta>
{
    /// <summary>Every object and the list's resourceVersion.</summary>
    Task<(IReadOnlyList<T> Items, string ResourceVersion)> ListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Streams changes after <paramref name="resourceVersion"/> (bookmarks included) until the server
    /// ends the watch. Throws <see cref="ResourceExpiredException"/> when the version is too old.
    /// </summary>
    IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(string resourceVersion, CancellationToken cancellationToken);
}
