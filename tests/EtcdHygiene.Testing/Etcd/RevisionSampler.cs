using Etcdserverpb;
using Google.Protobuf;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>
/// Reads the cluster's revision every 50 ms in the background: the test's own record of which
/// revision was current when, against which a compaction's revision is checked (retention window).
/// Samples are stamped with the time the request was sent, so a sample's revision is never older
/// than the revision current at its stamp.
/// </summary>
public sealed class RevisionSampler : IAsyncDisposable
{
    private readonly List<(DateTimeOffset At, long Revision)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    /// <summary>Starts sampling <paramref name="cluster"/>.</summary>
    public RevisionSampler(EtcdTestCluster cluster)
    {
        var client = cluster.CreateClient();
        _running = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var at = DateTimeOffset.UtcNow;
                try
                {
                    var answer = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/revision-sampler"), CountOnly = true },
                        deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: _stop.Token);
                    lock (_samples)
                    {
                        _samples.Add((at, answer.Header.Revision));
                    }
                }
                catch (Exception) when (!_stop.IsCancellationRequested)
                {
                    // The cluster is down or busy: no sample this time.
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                try
                {
                    await Task.Delay(50, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
    }

    /// <summary>
    /// The smallest revision known to be at least the one current at <paramref name="at"/>: that of
    /// the first sample stamped at or after it; null when there is none.
    /// </summary>
    public long? RevisionNoOlderThanAt(DateTimeOffset at)
    {
        lock (_samples)
        {
            return _samples.FirstOrDefault(s => s.At >= at) is { Revision: > 0 } sample ? sample.Revision : null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _stop.Dispose();
    }
}
