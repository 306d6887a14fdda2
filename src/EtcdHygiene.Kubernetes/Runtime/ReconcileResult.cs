namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>What a reconcile asks of the queue: nothing more, or to be called again after a delay.</summary>
/// <param name="RequeueAfter">When to reconcile the key again; null to wait for the next change.</param>
public sealed record ReconcileResult(TimeSpan? RequeueAfter)
{
    /// <summary>Done until the object changes.</summary>
    public static ReconcileResult Done { get; } = new((TimeSpan?)null);

    /// <summary>Reconcile again after <paramref name="delay"/>.</summary>
    public static ReconcileResult After(TimeSpan delay) => new(delay);
}
