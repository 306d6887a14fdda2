using System.IO.Enumeration;

namespace EtcdHygiene.Core.Tenancy;

/// <summary>
/// One rule of the tenancy configuration: policies in <see cref="Namespaces"/> may name endpoints
/// matching <see cref="Endpoints"/>, within the rule's limits.
/// </summary>
public sealed record TenantRule
{
    /// <summary>Namespace names or patterns (<c>team-a</c>, <c>team-*</c>, <c>*</c>).</summary>
    public required IReadOnlyList<string> Namespaces { get; init; }

    /// <summary>The endpoints policies of those namespaces may name.</summary>
    public required IReadOnlyList<EndpointPattern> Endpoints { get; init; }

    /// <summary>The shortest <c>spec.compaction.retention</c> allowed (Periodic mode).</summary>
    public TimeSpan MinRetention { get; init; } = TenancyDefaults.MinRetention;

    /// <summary>The fewest <c>spec.compaction.retainRevisions</c> allowed (Revision mode).</summary>
    public long MinRetainRevisions { get; init; } = TenancyDefaults.MinRetainRevisions;

    /// <summary>Whether <c>spec.analysis.prefixes</c> may be set: analysis copies key names and value excerpts into the policy's status.</summary>
    public bool Analysis { get; init; }

    /// <summary>Where the rule is written, for messages (e.g. <c>rules[0]</c>).</summary>
    public string Path { get; init; } = "rules[?]";

    /// <summary>Whether the rule speaks for <paramref name="ns"/>.</summary>
    public bool Covers(string ns) => Namespaces.Any(pattern => FileSystemName.MatchesSimpleExpression(pattern, ns, ignoreCase: false));

    /// <summary>Whether the rule lets a policy name <paramref name="endpoint"/>.</summary>
    public bool Allows(Uri endpoint) => Endpoints.Any(pattern => pattern.Matches(endpoint));
}
