namespace EtcdHygiene.Core.Execution;

/// <summary>
/// Thrown by a hook when the kept state could not be saved because someone else now writes it (a
/// newer leader): the cycle stops before its next step rather than act on a cluster another
/// process looks after, and rather than overwrite what that process recorded.
/// </summary>
public sealed class StateTakenOverException(string message, Exception? inner = null) : Exception(message, inner);
