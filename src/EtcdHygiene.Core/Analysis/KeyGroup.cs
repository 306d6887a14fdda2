namespace EtcdHygiene.Core.Analysis;

/// <summary>
/// Which group a key counts in: by default its parent path with the last segment replaced by
/// <c>*</c> (<c>/micro/registry/greeter/node-1</c> → <c>/micro/registry/greeter/*</c>): the nodes of
/// one service are one writer pattern.
/// </summary>
public static class KeyGroup
{
    /// <summary>
    /// The group of <paramref name="key"/>; <paramref name="depth"/>, when given, keeps that many
    /// leading path segments instead (<c>depth: 2</c> → <c>/micro/registry/*</c>).
    /// </summary>
    public static string Of(string key, int? depth = null)
    {
        var segments = key.Split('/');
        var leading = key.StartsWith('/') ? 1 : 0;
        var keep = depth is { } d ? Math.Min(d + leading, segments.Length - 1) : segments.Length - 1;
        if (keep <= leading - 1 || segments.Length <= 1)
        {
            return "*";
        }
        return string.Join('/', segments[..keep]) + "/*";
    }
}
