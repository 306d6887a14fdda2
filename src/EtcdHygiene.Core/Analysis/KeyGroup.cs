using System.Text;

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
    /// leading path segments instead (<c>depth: 2</c> → <c>/micro/registry/*</c>), never more than the parent.
    /// </summary>
    public static string Of(string key, int? depth = null)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        return Name(bytes.AsSpan(0, PrefixLength(bytes, depth)));
    }

    /// <summary>
    /// How many leading bytes of <paramref name="key"/> name its group (the prefix up to and
    /// including a '/'), 0 for a key without any. Works on the raw key so a watch stream needs no string per event.
    /// </summary>
    public static int PrefixLength(ReadOnlySpan<byte> key, int? depth)
    {
        var parent = key.LastIndexOf((byte)'/') + 1;
        if (depth is not { } segments)
        {
            return parent;
        }
        // A leading '/' opens no segment: depth 2 of "/a/b/c" is "/a/b/".
        var slashes = segments + (key.Length > 0 && key[0] == '/' ? 1 : 0);
        var end = 0;
        for (var i = 0; i < slashes; i++)
        {
            var next = key[end..].IndexOf((byte)'/');
            if (next < 0)
            {
                break;
            }
            end += next + 1;
        }
        return Math.Min(end, parent);
    }

    /// <summary>The printable name of a group from its prefix: the prefix followed by <c>*</c>.</summary>
    public static string Name(ReadOnlySpan<byte> prefix) => Encoding.UTF8.GetString(prefix) + "*";
}
