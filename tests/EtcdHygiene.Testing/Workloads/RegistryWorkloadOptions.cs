namespace EtcdHygiene.Testing.Workloads;

/// <summary>Shape of a simulated service registry.</summary>
public sealed record RegistryWorkloadOptions
{
    /// <summary>
    /// One service per writer pattern for the churn analysis: svc00 flips its subscribers and
    /// writes three times as often, svc01 repeats its bytes, svc02 really changes. 15 writes a round.
    /// </summary>
    public static readonly RegistryWorkloadOptions ThreePatterns = new()
    {
        Services = 3,
        NodesPerService = 3,
        Writers = 3,
        ServiceBehaviours = [WriterBehaviour.ReorderOnly, WriterBehaviour.Identical, WriterBehaviour.Changing],
        ServiceWeights = [3, 1, 1],
    };

    /// <summary>Distinct services.</summary>
    public int Services { get; init; } = 20;

    /// <summary>Nodes (instances) per service; each is one key.</summary>
    public int NodesPerService { get; init; } = 3;

    /// <summary>How often each node re-registers (go-micro's RegisterInterval).</summary>
    public TimeSpan ReRegisterInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>TTL of each node's lease (go-micro's RegisterTTL); granted once, kept for the run.</summary>
    public long LeaseTtlSeconds { get; init; } = 600;

    /// <summary>Renew each node's lease a few times per TTL, as registered services do (off: the keys go when the lease ends).</summary>
    public bool KeepLeasesAlive { get; init; } = true;

    /// <summary>Share of nodes writing identical bytes.</summary>
    public double IdenticalShare { get; init; } = 0.2;

    /// <summary>Share of nodes flipping two JSON array elements (the incident).</summary>
    public double ReorderShare { get; init; } = 0.6;

    /// <summary>Deadline of each write; none when null (a write to a paused member then waits for it).</summary>
    public TimeSpan? WriteTimeout { get; init; }

    /// <summary>Concurrent writers; nodes are spread over them.</summary>
    public int Writers { get; init; } = 4;

    /// <summary>Key prefix; go-micro's default.</summary>
    public string Prefix { get; init; } = "/micro/registry/";

    /// <summary>Seed for which node behaves how.</summary>
    public int Seed { get; init; } = 7;

    /// <summary>
    /// When set, every node of service i behaves as entry i (modulo the length) instead of the
    /// shuffled shares: for tests that need one service per writer pattern.
    /// </summary>
    public IReadOnlyList<WriterBehaviour>? ServiceBehaviours { get; init; }

    /// <summary>When set, service i re-registers each node entry i times per round (modulo the length): a hotter writer.</summary>
    public IReadOnlyList<int>? ServiceWeights { get; init; }

    /// <summary>Re-registrations per round of the nodes of <paramref name="service"/>.</summary>
    public int WeightOf(int service) => ServiceWeights is { Count: > 0 } weights ? weights[service % weights.Count] : 1;

    /// <summary>The behaviour of node <paramref name="index"/> of <paramref name="count"/>: shares are exact, order is shuffled.</summary>
    public WriterBehaviour BehaviourOf(int index, int count)
    {
        if (ServiceBehaviours is { Count: > 0 } behaviours)
        {
            return behaviours[index / NodesPerService % behaviours.Count];
        }
        var order = Enumerable.Range(0, count).OrderBy(i => HashCode.Combine(Seed, i)).ToList();
        var rank = order.IndexOf(index);
        return rank < IdenticalShare * count ? WriterBehaviour.Identical
            : rank < (IdenticalShare + ReorderShare) * count ? WriterBehaviour.ReorderOnly
            : WriterBehaviour.Changing;
    }
}
