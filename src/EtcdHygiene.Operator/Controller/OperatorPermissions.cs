namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// Every Kubernetes API call the operator makes, as RBAC rules. The chart renders exactly these,
/// and a test checks both that the chart matches and that the operator, run against the API fake,
/// uses nothing else — so a new API call without its permission fails the build.
/// </summary>
public static class OperatorPermissions
{
    /// <summary>One RBAC rule.</summary>
    /// <param name="ApiGroup">"" for the core group.</param>
    /// <param name="Resource">e.g. registrypolicies/status.</param>
    /// <param name="Verbs">The verbs used.</param>
    public sealed record Rule(string ApiGroup, string Resource, IReadOnlyList<string> Verbs);

    /// <summary>Rules on the watched namespaces (ClusterRole, or Role in the one watched namespace).</summary>
    public static IReadOnlyList<Rule> Watched { get; } =
    [
        new("etcdhygiene.io", "registrypolicies", ["get", "list", "watch"]),
        new("etcdhygiene.io", "registrypolicies/status", ["patch"]),
        new("", "secrets", ["get"]),
        new("", "events", ["create", "patch"]),
    ];

    /// <summary>Rules in the operator's own namespace, for leader election.</summary>
    public static IReadOnlyList<Rule> LeaderElection { get; } =
    [
        new("coordination.k8s.io", "leases", ["get", "create", "update"]),
    ];
}
