namespace EtcdHygiene.Etcd;

/// <summary>
/// A failed etcd call, typed so that callers decide on <see cref="Kind"/> rather than on raw gRPC
/// status codes. Messages name the operation and endpoint, never credentials.
/// </summary>
public sealed class EtcdOperationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EtcdOperationException(EtcdErrorKind kind, string operation, string? endpoint, string detail, Exception? inner = null)
        : base(Format(kind, operation, endpoint, detail), inner)
    {
        Kind = kind;
        Operation = operation;
        Endpoint = endpoint;
        Detail = detail;
    }

    /// <summary>What went wrong.</summary>
    public EtcdErrorKind Kind { get; }

    /// <summary>The etcd operation, e.g. "Defragment".</summary>
    public string Operation { get; }

    /// <summary>The endpoint called, when one was.</summary>
    public string? Endpoint { get; }

    /// <summary>etcd's own words, or ours.</summary>
    public string Detail { get; }

    private static string Format(EtcdErrorKind kind, string operation, string? endpoint, string detail) =>
        endpoint is null ? $"{operation} failed ({kind}): {detail}" : $"{operation} on {endpoint} failed ({kind}): {detail}";
}
