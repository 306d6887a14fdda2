namespace EtcdHygiene.Core.Planning;

/// <summary>A defragmentation that was started and not yet seen to succeed.</summary>
/// <param name="MemberId">The member, by hex id.</param>
/// <param name="MemberName">The member's name, for people.</param>
/// <param name="StartedAt">When the request was sent.</param>
/// <param name="SeenOverAt">
/// When the member was first seen answering a health read again afterwards: the defragmentation
/// was over by then (a member serves no reads while it defragments). Null until then.
/// </param>
public sealed record DefragStart(string MemberId, string MemberName, DateTimeOffset StartedAt, DateTimeOffset? SeenOverAt = null);
