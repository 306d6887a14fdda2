using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Etcd.Locking;

namespace EtcdHygiene.Operator.Supervision.Lanes;

/// <summary>A turn on a <see cref="ClusterLane"/>: granted (with or without the cluster's lock), or refused with the reason.</summary>
internal sealed class LaneTurn : IMaintenanceTurn
{
    private readonly ClusterLane? _lane;
    private readonly IClusterLock? _lock;
    private int _released;

    internal LaneTurn(ClusterLane lane, IClusterLock? clusterLock, string? refused, string? warning)
    {
        _lane = lane;
        _lock = clusterLock;
        Refused = refused;
        Warning = warning;
        Changes = lane.Changes;
    }

    private LaneTurn(long changes, string refused)
    {
        Refused = refused;
        Changes = changes;
        _released = 1;
    }

    internal static LaneTurn Refusal(long changes, string why) => new(changes, why);

    public string? Refused { get; }

    public string? Warning { get; }

    public long Changes { get; }

    public string? WhyNotEntitled() => _lane?.WhyNotEntitled(_lock);

    public long Acted(HygieneStep step, DateTimeOffset endedAt) => _lane!.Acted(step, endedAt);

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _lane!.Release();
        }
        return ValueTask.CompletedTask;
    }
}
