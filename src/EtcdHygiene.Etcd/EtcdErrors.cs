using System.Net.Http;
using System.Net.Sockets;
using Grpc.Core;

namespace EtcdHygiene.Etcd;

/// <summary>Turns what gRPC, HTTP and sockets throw into <see cref="EtcdOperationException"/>.</summary>
public static class EtcdErrors
{
    /// <summary>
    /// Classifies <paramref name="error"/>. <paramref name="timedOut"/> tells that our own timeout
    /// (not the caller) cancelled the call, which gRPC reports as a plain cancellation.
    /// </summary>
    public static EtcdOperationException Classify(Exception error, string operation, string? endpoint, bool timedOut = false)
    {
        if (error is EtcdOperationException typed)
        {
            return typed;
        }
        if (Chain(error).OfType<System.Security.Authentication.AuthenticationException>().FirstOrDefault() is { } tls)
        {
            return new(EtcdErrorKind.TlsFailed, operation, endpoint,
                $"TLS handshake failed: {tls.Message} (check spec.etcd's CA certificate: it must have signed the members' certificates)", error);
        }
        if (timedOut)
        {
            return new(EtcdErrorKind.TimedOut, operation, endpoint, "no answer within the timeout", error);
        }
        if (Chain(error).OfType<HttpProtocolException>().Any(e => e.Message.Contains("ping", StringComparison.OrdinalIgnoreCase)))
        {
            // A stream's keepalive ping went unanswered: the member hangs with its connection open.
            return new(EtcdErrorKind.TimedOut, operation, endpoint, "no answer to keepalive pings: the member hangs", error);
        }
        return error switch
        {
            RpcException rpc => FromRpc(rpc, operation, endpoint),
            HttpRequestException or SocketException =>
                new(EtcdErrorKind.Unreachable, operation, endpoint, error.Message, error),
            _ => new(EtcdErrorKind.Unknown, operation, endpoint, error.Message, error),
        };
    }

    private static EtcdOperationException FromRpc(RpcException rpc, string operation, string? endpoint)
    {
        var detail = string.IsNullOrEmpty(rpc.Status.Detail) ? rpc.StatusCode.ToString() : rpc.Status.Detail;
        // etcd's words for a request that carries no user where authentication is on.
        var noUser = Contains(detail, "user name is empty");
        var kind = rpc.StatusCode switch
        {
            StatusCode.DeadlineExceeded => EtcdErrorKind.TimedOut,
            StatusCode.Unavailable when Contains(detail, "no leader") => EtcdErrorKind.NoLeader,
            StatusCode.Unavailable => EtcdErrorKind.Unreachable,
            StatusCode.ResourceExhausted when Contains(detail, "database space exceeded") => EtcdErrorKind.NoSpace,
            StatusCode.OutOfRange when Contains(detail, "compacted") => EtcdErrorKind.RevisionCompacted,
            StatusCode.OutOfRange when Contains(detail, "future revision") => EtcdErrorKind.FutureRevision,
            StatusCode.PermissionDenied => EtcdErrorKind.PermissionDenied,
            StatusCode.Unauthenticated => EtcdErrorKind.AuthenticationFailed,
            StatusCode.InvalidArgument when Contains(detail, "authentication failed") => EtcdErrorKind.AuthenticationFailed,
            StatusCode.InvalidArgument when noUser => EtcdErrorKind.AuthenticationFailed,
            StatusCode.FailedPrecondition when Contains(detail, "not leader") => EtcdErrorKind.NotLeader,
            StatusCode.FailedPrecondition when Contains(detail, "learner") => EtcdErrorKind.InvalidTarget,
            StatusCode.NotFound when Contains(detail, "member not found") => EtcdErrorKind.InvalidTarget,
            _ => EtcdErrorKind.Unknown,
        };
        if (noUser)
        {
            // The fix is in the policy: name it.
            detail += " (etcd has authentication enabled: name a Secret with username and password in spec.etcd.credentialsSecretRef)";
        }
        return new(kind, operation, endpoint, detail, rpc);
    }

    private static IEnumerable<Exception> Chain(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }

    private static bool Contains(string text, string part) => text.Contains(part, StringComparison.OrdinalIgnoreCase);
}
