using Etcdserverpb;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>
/// etcd's own record of quota pressure: every 100 ms in the background, the alarm list and every
/// member's file size. Against it a test judges when maintenance may hurry (no pause between
/// members, a compaction inside the retention window) from what etcd said, not from what the tool
/// says it was doing. Samples are stamped with the time the requests were sent.
/// </summary>
public sealed class QuotaPressureSampler : IAsyncDisposable
{
    private readonly List<(DateTimeOffset At, bool NoSpace, long LargestFileBytes)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    /// <summary>Starts sampling <paramref name="cluster"/>.</summary>
    public QuotaPressureSampler(EtcdTestCluster cluster)
    {
        var members = cluster.Members.Select(m => cluster.ClientFor(m)).ToList();
        var any = cluster.CreateClient();
        _running = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var at = DateTimeOffset.UtcNow;
                bool? noSpace = null;
                long largest = 0;
                try
                {
                    var alarms = await any.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get },
                        deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: _stop.Token);
                    noSpace = alarms.Alarms.Any(a => a.Alarm == AlarmType.Nospace);
                }
                catch (Exception) when (!_stop.IsCancellationRequested)
                {
                    // No member answers: no sample this time.
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                foreach (var member in members)
                {
                    try
                    {
                        var status = await member.StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: _stop.Token);
                        largest = Math.Max(largest, status.DbSize);
                    }
                    catch (Exception) when (!_stop.IsCancellationRequested)
                    {
                        // That member is down, paused or defragmenting: its size is not known now.
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
                if (noSpace is { } listed)
                {
                    lock (_samples)
                    {
                        _samples.Add((at, listed, largest));
                    }
                }
                try
                {
                    await Task.Delay(100, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
    }

    /// <summary>
    /// True when, in the <paramref name="lookBack"/> before <paramref name="at"/>, etcd listed a
    /// NOSPACE alarm; or a member's file filled at least <paramref name="highRatio"/> of
    /// <paramref name="quotaBytes"/>; or the largest file, growing on at the rate it grew over the
    /// <paramref name="growthWindow"/> before, would fill <paramref name="preemptRatio"/> of it within
    /// <paramref name="horizon"/>. That is what makes a maintenance tool's plan urgent (NOSPACE, or
    /// prevention, which lasts its cycle), judged from etcd's side rather than from the tool's words.
    /// </summary>
    public bool UnderPressure(DateTimeOffset at, TimeSpan lookBack, long quotaBytes, double highRatio, double preemptRatio, TimeSpan growthWindow, TimeSpan horizon)
    {
        lock (_samples)
        {
            foreach (var sample in _samples.Where(s => s.At <= at && s.At >= at - lookBack))
            {
                var earlier = _samples.LastOrDefault(s => s.At <= sample.At - growthWindow);
                var growth = earlier.At == default ? 0 : Math.Max(0, sample.LargestFileBytes - earlier.LargestFileBytes) * (horizon / (sample.At - earlier.At));
                if (sample.NoSpace || sample.LargestFileBytes >= highRatio * quotaBytes || sample.LargestFileBytes + growth >= preemptRatio * quotaBytes)
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>How many samples saw a NOSPACE alarm, and how many in all: a positive control that the record sees what it judges.</summary>
    public (int NoSpace, int All) Counts()
    {
        lock (_samples)
        {
            return (_samples.Count(s => s.NoSpace), _samples.Count);
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
