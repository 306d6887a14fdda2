namespace EtcdHygiene.Operator.Controller;

/// <summary>A Secret a policy needs is missing or incomplete.</summary>
public sealed class SecretUnavailableException(string message) : Exception(message);
