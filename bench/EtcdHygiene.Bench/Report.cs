using System.Text;

namespace EtcdHygiene.Bench;

/// <summary>A benchmark section of bench/results/latest.md, also echoed to the console.</summary>
internal sealed class Report(string title)
{
    private readonly StringBuilder _text = new($"## {title}{Environment.NewLine}{Environment.NewLine}");

    public Report Line(string line)
    {
        _text.AppendLine(line);
        Console.WriteLine(line);
        return this;
    }

    public Report Table(string[] headers, IEnumerable<string[]> rows)
    {
        Line("| " + string.Join(" | ", headers) + " |");
        Line("|" + string.Concat(headers.Select(_ => "---|")));
        foreach (var row in rows)
        {
            Line("| " + string.Join(" | ", row) + " |");
        }
        return Line("");
    }

    public override string ToString() => _text.ToString();

    public static string Seconds(TimeSpan time) => $"{time.TotalSeconds:0.00} s";

    public static string Millis(TimeSpan time) => $"{time.TotalMilliseconds:0.0} ms";

    public static string Ratio(double value) => $"{value:0.00}×";

    public static string Mib(double bytes) => $"{bytes / 1048576:0.0} MiB";

    /// <summary>The median; the mean of the two middle values for an even count.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
