using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Tenancy;

/// <summary>
/// What an administrator lets tenants maintain: which namespaces may name which etcd endpoints,
/// the shortest retention, whether analysis may read keys. A policy is allowed when one rule covers
/// its namespace, allows every endpoint it names, and its limits hold. Nothing is allowed by
/// default: an operator started without rules refuses every policy before reaching etcd.
/// </summary>
public sealed record TenancyRules
{
    /// <summary>No rule: every policy is refused.</summary>
    public static readonly TenancyRules None = new() { Rules = [], Source = "no tenancy configuration (chart value tenancy.rules, operator flag --tenancy-config)" };

    /// <summary>The rules, in the order written.</summary>
    public required IReadOnlyList<TenantRule> Rules { get; init; }

    /// <summary>Where the rules come from, named in every refusal (a file path and the chart value).</summary>
    public required string Source { get; init; }

    /// <summary>Decides whether <paramref name="policy"/> may be acted on.</summary>
    public TenancyDecision Admit(HygienePolicy policy)
    {
        var ns = policy.Key.Namespace;
        var covering = Rules.Where(r => r.Covers(ns)).ToList();
        if (covering.Count == 0)
        {
            return Refuse($"no tenancy rule covers namespace {ns}: policies there may not name any etcd endpoint");
        }
        var endpoints = policy.Etcd.Endpoints.Select(e => new Uri(e)).ToList();
        var allowing = covering.Where(r => endpoints.All(r.Allows)).ToList();
        if (allowing.Count == 0)
        {
            var outside = endpoints.FirstOrDefault(e => !covering.Any(r => r.Allows(e)));
            var refusal = outside is not null
                ? $"endpoint {outside.OriginalString} is not one namespace {ns} may name ({Describe(covering)})"
                : $"no single tenancy rule for namespace {ns} allows all of its endpoints together ({Describe(covering)})";
            return Refuse(refusal);
        }
        string? firstLimit = null;
        foreach (var rule in allowing)
        {
            if (Limit(rule, policy) is not { } limit)
            {
                return TenancyDecision.Allowed;
            }
            firstLimit ??= limit;
        }
        return Refuse(firstLimit!);
    }

    private TenancyDecision Refuse(string why) => new($"{why}; set by {Source}");

    /// <summary>The first limit of <paramref name="rule"/> the policy passes, or null.</summary>
    private static string? Limit(TenantRule rule, HygienePolicy policy)
    {
        var compaction = policy.Compaction;
        if (compaction.Mode == CompactionMode.Periodic && compaction.Retention < rule.MinRetention)
        {
            return $"spec.compaction.retention {GoDuration.Format(compaction.Retention)} is below {GoDuration.Format(rule.MinRetention)}, the minimum of tenancy {rule.Path}.minRetention";
        }
        if (compaction.Mode == CompactionMode.Revision && compaction.RetainRevisions < rule.MinRetainRevisions)
        {
            return $"spec.compaction.retainRevisions {compaction.RetainRevisions} is below {rule.MinRetainRevisions}, the minimum of tenancy {rule.Path}.minRetainRevisions";
        }
        if (policy.Analysis.Prefixes.Count > 0 && !rule.Analysis)
        {
            return $"spec.analysis.prefixes is set, but tenancy {rule.Path}.analysis does not let policies of namespace {policy.Key.Namespace} read keys";
        }
        return null;
    }

    private static string Describe(IEnumerable<TenantRule> rules) =>
        string.Join("; ", rules.Select(r => $"{r.Path}.endpoints: {string.Join(", ", r.Endpoints.Select(e => e.Text))}"));
}
