using EtcdHygiene.Core.Analysis;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>What a policy's analysis finds at one moment.</summary>
/// <param name="Report">The churn report; null when the policy analyses no prefixes.</param>
/// <param name="Problem">Why the analysis cannot read etcd, if it cannot.</param>
/// <param name="Forecast">The growth forecast, when the largest member's quota is known.</param>
/// <param name="ToAnnounce">The churning groups to tell now (each at most once per analysis window, unless forced).</param>
/// <param name="Stuck">True when <paramref name="Problem"/> is one retrying cannot cure: it needs a person.</param>
/// <param name="ProblemToAnnounce">Such a problem the first time it is seen (an event tells it once), null otherwise.</param>
public sealed record ChurnFindings(ChurnReport? Report, string? Problem, Forecast? Forecast, IReadOnlyList<GroupFinding> ToAnnounce,
    bool Stuck = false, string? ProblemToAnnounce = null);
