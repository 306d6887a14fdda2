namespace EtcdHygiene.Core.Policy;

/// <summary>A policy file that cannot be used, with a message meant for the person who wrote it.</summary>
public sealed class PolicyFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PolicyFileException(string message, IReadOnlyList<string>? problems = null) : base(message)
    {
        Problems = problems ?? [message];
    }

    /// <summary>Each problem on its own.</summary>
    public IReadOnlyList<string> Problems { get; }
}
