namespace EtcdHygiene.Core.Policy;

/// <summary>The outcome of validating a manifest: a policy, or every problem found.</summary>
/// <param name="Policy">The resolved policy; null when there are problems.</param>
/// <param name="Problems">Each problem names the field and the rule.</param>
public sealed record PolicyValidation(HygienePolicy? Policy, IReadOnlyList<string> Problems)
{
    /// <summary>True when there is no problem.</summary>
    public bool IsValid => Problems.Count == 0 && Policy is not null;
}
