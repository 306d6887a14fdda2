namespace EtcdHygiene.Testing.Simulation;

/// <summary>A member stopped while it defragmented.</summary>
/// <param name="At">When (monotonic).</param>
/// <param name="MemberId">Which member.</param>
/// <param name="LostWrites">True when its version has etcd's defect: it came back without acknowledged writes.</param>
public sealed record DefragmentationCrash(TimeSpan At, ulong MemberId, bool LostWrites);
