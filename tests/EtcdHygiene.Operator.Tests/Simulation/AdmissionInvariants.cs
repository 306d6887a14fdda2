using EtcdHygiene.Core.Tenancy;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// Rules 5 and 12 at the door: a spec written invalid is refused with a problem naming its field, a
/// policy outside the tenancy rules is refused by them, a good one is admitted; and no policy that
/// had to be refused ever opens a connection to the cluster.
/// </summary>
internal static class AdmissionInvariants
{
    /// <summary>What was wrong with one admission decision.</summary>
    public static IEnumerable<Violation> Check(string actor, PolicyDocument document, PolicyAdmission admission, TimeSpan at)
    {
        if (document.InvalidField is { } field && !admission.Problems.Any(p => p.StartsWith(field, StringComparison.Ordinal)))
        {
            yield return new Violation(5, at, $"{actor} ({document.Change}) was not refused by its field {field}: " +
                                              (admission.Policy is not null ? "it was admitted" : $"problems [{string.Join("; ", admission.Problems)}], refusal {admission.Refusal}"));
        }
        if (document.OutsideTenancy && admission.Refusal is null)
        {
            yield return new Violation(12, at, $"{actor} ({document.Change}) was not refused by the tenancy rules: " +
                                               (admission.Policy is not null ? "it was admitted" : $"problems [{string.Join("; ", admission.Problems)}]"));
        }
        if (!document.MustBeRefused && admission.Policy is null)
        {
            yield return new Violation(5, at, $"{actor} ({document.Change}) is valid and allowed but was refused: [{string.Join("; ", admission.Problems)}] {admission.Refusal}");
        }
    }

    /// <summary>A policy that had to be refused and connected to the cluster all the same.</summary>
    public static IEnumerable<Violation> Unreached(IReadOnlyDictionary<string, PolicyDocument> documents, IReadOnlySet<string> connected, TimeSpan at) =>
        documents.Where(d => d.Value.MustBeRefused && connected.Contains(d.Key))
            .Select(d => new Violation(d.Value.InvalidField is null ? 12 : 5, at, $"{d.Key} ({d.Value.Change}) connected to the cluster"));
}
