namespace EtcdHygiene.Operator.Standalone;

/// <summary>A state file that cannot be read.</summary>
public sealed class StateFileException(string message) : Exception(message);
