namespace EtcdHygiene.Testing.Etcd;

/// <summary>One defragmentation as etcd logged it.</summary>
/// <param name="Member">The member's name.</param>
/// <param name="Start">"starting defragment".</param>
/// <param name="End">"finished defragment"; null when the member was killed during it.</param>
/// <param name="Until">The latest it can have lasted: its end, or the member's restart.</param>
public sealed record EtcdDefragmentation(string Member, DateTimeOffset Start, DateTimeOffset? End, DateTimeOffset Until)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Member}'s defragmentation {Start:HH:mm:ss.fff}–{(End is { } end ? end.ToString("HH:mm:ss.fff") : Until == DateTimeOffset.MaxValue ? "unfinished" : $"cut (restart {Until:HH:mm:ss.fff})")}";
}
