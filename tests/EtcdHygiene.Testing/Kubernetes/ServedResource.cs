namespace EtcdHygiene.Testing.Kubernetes;

/// <summary>A collection the test API server serves, as discovery describes it.</summary>
/// <param name="Kind">Its path.</param>
/// <param name="ObjectKind">The kind of its objects, e.g. RegistryPolicy.</param>
/// <param name="HasStatus">Whether it has the status subresource.</param>
/// <param name="ShortNames">e.g. rp.</param>
public sealed record ServedResource(ResourceKind Kind, string ObjectKind, bool HasStatus, IReadOnlyList<string> ShortNames);
