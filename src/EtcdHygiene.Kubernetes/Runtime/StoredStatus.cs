namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>A status as the API server stores it, and the object's resourceVersion when it was read.</summary>
public sealed record StoredStatus<TStatus>(TStatus? Status, string ResourceVersion) where TStatus : class;
