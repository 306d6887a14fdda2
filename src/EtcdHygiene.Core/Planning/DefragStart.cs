namespace EtcdHygiene.Core.Planning;

/// <summary>A defragmentation that was started and not yet seen to succeed.</summary>
/// <param name="MemberId">The member, by hex id.</param>
/// <param name="MemberName">The member's name, for people.</param>
/// <param name="StartedAt">When the request was sent.</param>
public sealed record DefragStart(string MemberId, string MemberName, DateTimeOffset StartedAt);
