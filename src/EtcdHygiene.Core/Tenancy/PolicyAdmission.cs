using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Tenancy;

/// <summary>
/// Whether a RegistryPolicy may run, decided before any connection exists: its spec must be valid
/// (every problem names its field) and within the administrator's tenancy rules. The reconciler
/// acts on the decision; the schedule explorer admits its worlds' policies through it too, so that
/// "an invalid or disallowed policy reaches nothing" is judged on the same code.
/// </summary>
/// <param name="Policy">The policy to run; null when refused.</param>
/// <param name="Problems">The spec's problems, each naming its field; empty when the spec is valid.</param>
/// <param name="Refusal">Why the tenancy rules refuse a valid spec, naming the setting; null otherwise.</param>
public sealed record PolicyAdmission(HygienePolicy? Policy, IReadOnlyList<string> Problems, string? Refusal)
{
    /// <summary>Validates <paramref name="manifest"/>, then asks <paramref name="tenancy"/>.</summary>
    public static PolicyAdmission Decide(RegistryPolicyManifest manifest, TenancyRules tenancy)
    {
        var validation = PolicyValidator.Validate(manifest);
        if (!validation.IsValid)
        {
            return new PolicyAdmission(null, validation.Problems, null);
        }
        return tenancy.Admit(validation.Policy!).Refusal is { } refusal
            ? new PolicyAdmission(null, [], refusal)
            : new PolicyAdmission(validation.Policy, [], null);
    }
}
