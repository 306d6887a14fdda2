using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;

namespace EtcdHygiene.Operator.Commands;

/// <summary>What <c>analyze</c> was asked.</summary>
internal sealed record AnalyzeRequest(IReadOnlyList<string> Endpoints, IReadOnlyList<string> Prefixes, long? FromRevision, string? WatchText, int Top, int? GroupDepth)
{
    /// <summary>TLS material from --cacert, --cert and --key.</summary>
    public EtcdTlsOptions? Tls { get; init; }

    /// <summary>The user of --user with the password of --password-file.</summary>
    public EtcdCredentials? Credentials { get; init; }

    /// <summary>--output json: the report as a JSON document instead of a table.</summary>
    public bool Json { get; init; }

    public TimeSpan? Watch => WatchText is not null && GoDuration.TryParse(WatchText, out var duration) ? duration : null;

    public string? Validate()
    {
        if (Endpoints.Count == 0 || Endpoints.Any(e => !Uri.TryCreate(e, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            return $"--endpoints: expected http(s) URLs, got '{string.Join(",", Endpoints)}'";
        }
        if (Prefixes.Any(string.IsNullOrEmpty))
        {
            return "--prefix must not be empty";
        }
        if (FromRevision is < 1)
        {
            return $"--from-revision must be at least 1 (got {FromRevision})";
        }
        if (WatchText is not null && (Watch is not { } watch || watch <= TimeSpan.Zero))
        {
            return $"--watch: expected a positive duration such as 30s or 1m (got '{WatchText}')";
        }
        if (Top is < 1 or > 100)
        {
            return $"--top must be between 1 and 100 (got {Top})";
        }
        if (GroupDepth is < 0)
        {
            return $"--group-depth must not be negative (got {GroupDepth})";
        }
        return null;
    }
}
