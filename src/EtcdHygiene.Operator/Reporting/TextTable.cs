using System.Text;

namespace EtcdHygiene.Operator.Reporting;

/// <summary>A plain left-aligned text table, fit for terminals and log files alike.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    /// <summary>Adds a row; missing cells are empty.</summary>
    public void Add(params string[] cells) => _rows.Add(cells);

    /// <inheritdoc />
    public override string ToString()
    {
        var widths = headers.Select((h, i) => _rows.Select(r => i < r.Length ? r[i].Length : 0).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var row in _rows.Prepend(headers))
        {
            var cells = headers.Select((_, i) => (i < row.Length ? row[i] : "").PadRight(widths[i]));
            text.AppendLine(string.Join("  ", cells).TrimEnd());
        }
        return text.ToString();
    }
}
