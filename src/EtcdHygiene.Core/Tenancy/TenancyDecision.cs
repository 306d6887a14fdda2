namespace EtcdHygiene.Core.Tenancy;

/// <summary>Whether a policy may be acted on, and if not, why, naming the setting that refused it.</summary>
public sealed record TenancyDecision(string? Refusal)
{
    /// <summary>The policy is within what the administrator allowed.</summary>
    public static readonly TenancyDecision Allowed = new((string?)null);

    /// <summary>True when the policy may be acted on.</summary>
    public bool IsAllowed => Refusal is null;
}
