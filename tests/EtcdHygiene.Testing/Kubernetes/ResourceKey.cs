namespace EtcdHygiene.Testing.Kubernetes;

/// <summary>Which collection a path names: API group/version prefix and plural (e.g. "apis/etcdhygiene.io/v1alpha1", "registrypolicies").</summary>
/// <param name="ApiPrefix">"api/v1" or "apis/{group}/{version}".</param>
/// <param name="Plural">The resource, e.g. leases.</param>
public sealed record ResourceKind(string ApiPrefix, string Plural);

/// <summary>One stored object's identity.</summary>
/// <param name="Kind">Its collection.</param>
/// <param name="Namespace">Its namespace.</param>
/// <param name="Name">Its name.</param>
public sealed record ResourceKey(ResourceKind Kind, string Namespace, string Name);
