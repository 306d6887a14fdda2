using EtcdHygiene.Kubernetes.Runtime;

namespace EtcdHygiene.Operator.Controller.Leadership;

/// <summary>
/// The API client leader election uses, apart from the rate-limited one the controller uses: a
/// Lease renewal queued behind the controller's requests could miss its deadline and cost the
/// leadership exactly when the operator is busiest.
/// </summary>
public sealed record LeaseClient(KubernetesApi Client);
