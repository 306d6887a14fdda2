using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdHygiene.Testing.Workloads;

/// <summary>
/// One service instance registering every <c>every</c>: measures how long etcd refused writes
/// (NOSPACE) in total — the time a new instance could not have registered.
/// </summary>
public sealed class RefusalProbe : IAsyncDisposable
{
    private readonly List<(DateTimeOffset At, bool Refused)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private RefusalProbe(EtcdClient client, TimeSpan every)
    {
        _loop = Task.Run(() => RunAsync(client, every, _stop.Token));
    }

    /// <summary>Starts probing.</summary>
    public static RefusalProbe Start(EtcdClient client, TimeSpan? every = null) => new(client, every ?? TimeSpan.FromMilliseconds(50));

    /// <summary>Time covered by refused puts: from each refused put to the next put, summed.</summary>
    public TimeSpan Refused
    {
        get
        {
            lock (_samples)
            {
                var total = TimeSpan.Zero;
                for (var i = 0; i + 1 < _samples.Count; i++)
                {
                    if (_samples[i].Refused)
                    {
                        total += _samples[i + 1].At - _samples[i].At;
                    }
                }
                return total;
            }
        }
    }

    /// <summary>Puts refused for NOSPACE.</summary>
    public int RefusedPuts
    {
        get
        {
            lock (_samples)
            {
                return _samples.Count(s => s.Refused);
            }
        }
    }

    /// <summary>Stops probing.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task RunAsync(EtcdClient client, TimeSpan every, CancellationToken stop)
    {
        var request = new PutRequest { Key = ByteString.CopyFromUtf8("/probe/new-instance"), Value = ByteString.CopyFrom(new byte[256]) };
        while (!stop.IsCancellationRequested)
        {
            var at = DateTimeOffset.UtcNow;
            var refused = false;
            try
            {
                await client.PutAsync(request, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: stop);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                refused = true;
            }
            catch (RpcException) when (!stop.IsCancellationRequested)
            {
                // Slow or unavailable for a moment (a leader moving): not a refusal.
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                break;
            }
            lock (_samples)
            {
                _samples.Add((at, refused));
            }
            try
            {
                await Task.Delay(every, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        lock (_samples)
        {
            _samples.Add((DateTimeOffset.UtcNow, false));
        }
    }
}
