using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EtcdHygiene.Core.Policy;

/// <summary>
/// The field a YAML parser error points at, as the validator names fields (<c>spec.analysis.topKeys</c>):
/// YamlDotNet's type errors give only a line and column, and a person fixes a field, not a column.
/// </summary>
public static class YamlFieldPath
{
    /// <summary>The path of the deepest key or value at <paramref name="mark"/>, or null when the text is not even well-formed YAML.</summary>
    public static string? At(string yaml, Mark mark)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException)
        {
            return null;
        }
        foreach (var document in stream.Documents)
        {
            if (Find(document.RootNode, mark, "") is { Length: > 0 } path)
            {
                return path;
            }
        }
        return null;
    }

    /// <summary>
    /// Searches depth first. Only scalars know where they end (a collection's end mark is where it
    /// starts), so a collection matches only when the error points at its start.
    /// </summary>
    private static string? Find(YamlNode node, Mark mark, string path)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    var field = path.Length == 0 ? key.ToString() : $"{path}.{key}";
                    if (Find(key, mark, field) is not null)
                    {
                        return field;
                    }
                    if (Find(value, mark, field) is { } inside)
                    {
                        return inside;
                    }
                }
                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    if (Find(sequence.Children[i], mark, $"{path}[{i}]") is { } inside)
                    {
                        return inside;
                    }
                }
                break;
            case YamlScalarNode:
                return Compare(node.Start, mark) <= 0 && Compare(mark, node.End) <= 0 ? path : null;
        }
        return Compare(node.Start, mark) == 0 ? path : null;
    }

    private static int Compare(Mark a, Mark b) => a.Line != b.Line ? a.Line.CompareTo(b.Line) : a.Column.CompareTo(b.Column);
}
