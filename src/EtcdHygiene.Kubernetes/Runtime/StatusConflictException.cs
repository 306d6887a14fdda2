namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>A status write refused because someone else wrote the status since the writer read it.</summary>
public sealed class StatusConflictException(string message) : Exception(message);
