using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// Keeps a cache of one resource type in step with the API server: LIST, then WATCH from the
/// list's resourceVersion with bookmarks; a watch the server ends is resumed from the last version
/// seen; 410 Gone means relist, and objects missing from the new list are reported deleted, so
/// nothing that happened during the gap is lost. Other errors are retried with backoff.
/// </summary>
public sealed class Informer<T> where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly IResourceSource<T> _source;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Backoff _backoff = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));
    private readonly ConcurrentDictionary<string, T> _cache = new();

    /// <summary>A watch that ends sooner than this having delivered nothing is treated as failed.</summary>
    private static readonly TimeSpan ShortWatch = TimeSpan.FromSeconds(1);

    /// <summary>Creates the informer; <paramref name="onChange"/> is called for every change, in order.</summary>
    public Informer(IResourceSource<T> source, Action<InformerEventType, T> onChange, TimeProvider time, ILogger logger)
    {
        _source = source;
        OnChange = onChange;
        _time = time;
        _logger = logger;
    }

    /// <summary>Called for every change.</summary>
    public Action<InformerEventType, T> OnChange { get; }

    /// <summary>The last resourceVersion seen (list, event or bookmark).</summary>
    public string? ResourceVersion { get; private set; }

    /// <summary>True once the first LIST has filled the cache.</summary>
    public bool HasSynced { get; private set; }

    /// <summary>The cached object with key "namespace/name", or default.</summary>
    public T? Get(string key) => _cache.GetValueOrDefault(key);

    /// <summary>Every cached object.</summary>
    public IReadOnlyCollection<T> Items => _cache.Values.ToList();

    /// <summary>"namespace/name" of an object.</summary>
    public static string KeyOf(T item) => $"{item.Metadata.NamespaceProperty}/{item.Metadata.Name}";

    /// <summary>Runs until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        var mustList = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (mustList)
                {
                    await RelistAsync(cancellationToken);
                    mustList = false;
                }
                var opened = _time.GetTimestamp();
                var received = false;
                await foreach (var (type, item) in _source.WatchAsync(ResourceVersion!, cancellationToken))
                {
                    Apply(type, item);
                    failures = 0;
                    received = true;
                }
                // The server ended the watch (its timeout): resume from the last version seen, at
                // once. One that ended at once with nothing in it (a proxy cutting it, a server
                // shedding load) is a failure, as client-go's "very short watch" is: reopened with
                // backoff, not in a tight loop against a struggling API server.
                if (!received && _time.GetElapsedTime(opened) < ShortWatch)
                {
                    var delay = _backoff.Delay(failures++);
                    _logger.LogDebug("The watch closed at once with nothing in it; reopening in {Delay}", delay);
                    await Task.Delay(delay, _time, cancellationToken);
                }
            }
            catch (ResourceExpiredException e)
            {
                _logger.LogInformation("Watch expired ({Reason}); listing again", e.Message);
                mustList = true;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                var delay = _backoff.Delay(failures++);
                _logger.LogWarning("List/watch failed ({Error}); retrying in {Delay}", e.Message, delay);
                try
                {
                    await Task.Delay(delay, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RelistAsync(CancellationToken cancellationToken)
    {
        var (items, version) = await _source.ListAsync(cancellationToken);
        var listed = items.ToDictionary(KeyOf);
        foreach (var (key, gone) in _cache.Where(c => !listed.ContainsKey(c.Key)).ToList())
        {
            _cache.TryRemove(key, out _);
            OnChange(InformerEventType.Deleted, gone);
        }
        foreach (var (key, item) in listed)
        {
            var known = _cache.TryGetValue(key, out var previous);
            _cache[key] = item;
            if (!known)
            {
                OnChange(InformerEventType.Added, item);
            }
            else if (previous!.Metadata.ResourceVersion != item.Metadata.ResourceVersion)
            {
                OnChange(InformerEventType.Modified, item);
            }
        }
        ResourceVersion = version;
        HasSynced = true;
    }

    private void Apply(WatchEventType type, T item)
    {
        ResourceVersion = item.Metadata?.ResourceVersion ?? ResourceVersion;
        switch (type)
        {
            case WatchEventType.Added:
            case WatchEventType.Modified:
                var known = _cache.ContainsKey(KeyOf(item));
                _cache[KeyOf(item)] = item;
                OnChange(known ? InformerEventType.Modified : InformerEventType.Added, item);
                break;
            case WatchEventType.Deleted:
                _cache.TryRemove(KeyOf(item), out _);
                OnChange(InformerEventType.Deleted, item);
                break;
            case WatchEventType.Bookmark:
                break;
        }
    }
}
