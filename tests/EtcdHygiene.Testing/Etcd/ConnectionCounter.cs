using System.Net;
using System.Net.Sockets;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>
/// A loopback listener standing where etcd would be, counting the connections made to it: the
/// proof that an invalid policy never reached etcd.
/// </summary>
public sealed class ConnectionCounter : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private int _connections;

    /// <summary>Starts listening.</summary>
    public ConnectionCounter()
    {
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    /// <summary>An http URL pointing at the listener.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <inheritdoc />
    public void Dispose() => _listener.Stop();

    private async Task AcceptAsync()
    {
        while (true)
        {
            try
            {
                using var accepted = await _listener.AcceptTcpClientAsync();
                Interlocked.Increment(ref _connections);
            }
            catch (Exception)
            {
                return;
            }
        }
    }
}
