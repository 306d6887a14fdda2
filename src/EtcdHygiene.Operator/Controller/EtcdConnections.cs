using System.Collections.Concurrent;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// One etcd connection per policy, kept across reconciles (its member clients are expensive to
/// build) and replaced when the policy's endpoints, timeouts or Secrets change.
/// </summary>
public sealed class EtcdConnections(TimeProvider time, ILoggerFactory logging) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<PolicyKey, (EtcdConnectionOptions Options, EtcdClusterConnection Connection)> _connections = new();

    /// <summary>The connection for <paramref name="key"/> with exactly these options.</summary>
    public async Task<EtcdClusterConnection> ForAsync(PolicyKey key, EtcdConnectionOptions options)
    {
        if (_connections.TryGetValue(key, out var existing))
        {
            if (existing.Options.ConnectsLike(options))
            {
                return existing.Connection;
            }
            await existing.Connection.DisposeAsync();
        }
        var connection = new EtcdClusterConnection(options, time, logging.CreateLogger<EtcdClusterConnection>());
        _connections[key] = (options, connection);
        return connection;
    }

    /// <summary>Closes the connection of a policy that is gone.</summary>
    public async Task RemoveAsync(PolicyKey key)
    {
        if (_connections.TryRemove(key, out var existing))
        {
            await existing.Connection.DisposeAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var key in _connections.Keys)
        {
            await RemoveAsync(key);
        }
    }
}
