using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// A RegistryPolicy as a tenant wrote it in a world: the spec the process admits (validation, then
/// the tenancy rules: <c>PolicyAdmission</c>) before it may run. Some are written wrong on purpose:
/// the explorer then expects a refusal naming <see cref="InvalidField"/>, or the tenancy's refusal
/// (<see cref="OutsideTenancy"/>), and not one request from it.
/// </summary>
/// <param name="Namespace">Its namespace (the tenancy rules speak per namespace).</param>
/// <param name="Name">Its name.</param>
/// <param name="Spec">The spec; only what the tenant changed is set, the rest comes from the defaults.</param>
/// <param name="Change">What the tenant changed from the defaults, for the schedule's description.</param>
/// <param name="InvalidField">The field written invalid on purpose (its path, as a problem starts), or null.</param>
/// <param name="OutsideTenancy">True when the administrator's rules do not allow it.</param>
public sealed record PolicyDocument(string Namespace, string Name, RegistryPolicySpec Spec, string Change, string? InvalidField = null, bool OutsideTenancy = false)
{
    /// <summary>The key its state and its actor name use.</summary>
    public PolicyKey Key => new(Namespace, Name);

    /// <summary>True when the explorer expects it to be refused.</summary>
    public bool MustBeRefused => InvalidField is not null || OutsideTenancy;

    /// <summary>The manifest a front end would hand to admission.</summary>
    public RegistryPolicyManifest Manifest() => new()
    {
        ApiVersion = RegistryPolicyManifest.ExpectedApiVersion,
        Kind = RegistryPolicyManifest.ExpectedKind,
        Metadata = new PolicyMetadata { Name = Name, Namespace = Namespace, Generation = 1 },
        Spec = Spec,
    };

    /// <inheritdoc />
    public override string ToString() => $"{Namespace}/{Name} ({Change})";
}
