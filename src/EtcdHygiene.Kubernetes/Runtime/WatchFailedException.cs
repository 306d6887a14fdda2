namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>The API server ended a watch with an ERROR event other than 410 Gone.</summary>
public sealed class WatchFailedException(int? code, string message) : Exception(code is null ? message : $"{message} (code {code})");
