namespace EtcdHygiene.Operator.Supervision;

/// <summary>
/// The logger categories, short so that a log line reads as what it is about
/// (<c>etcd-hygiene.cycle</c>, not a namespace-qualified type name).
/// </summary>
public static class LogCategory
{
    /// <summary>The hygiene cycle: each step, its reason and its outcome.</summary>
    public const string Cycle = "etcd-hygiene.cycle";
    /// <summary>The status poll between cycles: what made it start a cycle early.</summary>
    public const string Poll = "etcd-hygiene.poll";
    /// <summary>The etcd adapter: each RPC that changes something.</summary>
    public const string Etcd = "etcd-hygiene.etcd";
    /// <summary>The churn analysis and its watch.</summary>
    public const string Analysis = "etcd-hygiene.analysis";
    /// <summary>The per-policy runtime and the standalone front end.</summary>
    public const string Run = "etcd-hygiene.run";
    /// <summary>The Kubernetes front end: reconciles, leader election.</summary>
    public const string Operator = "etcd-hygiene.operator";
    /// <summary>The controller runtime underneath: informer, work queue, status and events.</summary>
    public const string Controller = "etcd-hygiene.controller";

    /// <summary>The clusters' lanes and locks: who maintains which etcd cluster.</summary>
    public const string Lanes = "etcd-hygiene.lanes";
}
