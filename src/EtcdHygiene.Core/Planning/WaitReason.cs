namespace EtcdHygiene.Core.Planning;

/// <summary>Why the cycle waits before it looks again.</summary>
public enum WaitReason
{
    /// <summary>spec.defragmentation.pauseBetweenMembers has not passed since the last defragmentation.</summary>
    PauseBetweenMembers,

    /// <summary>
    /// Writes are refused (or about to be) and the plan is empty only because a member could not
    /// be seen or is not back from its defragmentation: asked again until the request timeout.
    /// </summary>
    MemberNotBack,
}
