namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>The API server no longer has the resourceVersion a watch asked for (410 Gone): relist.</summary>
public sealed class ResourceExpiredException(string message) : Exception(message);
