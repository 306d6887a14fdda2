namespace EtcdHygiene.Operator.Standalone;

/// <summary>What <c>run</c> was asked, bound from the command line.</summary>
/// <param name="Policies">The policies, their files read and validated.</param>
/// <param name="StateDirectory">Where their state files are.</param>
/// <param name="Once">One cycle per policy, then exit.</param>
public sealed record RunSettings(IReadOnlyList<PolicySource> Policies, string StateDirectory, bool Once);
