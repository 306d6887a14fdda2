using ScottPlot;

namespace EtcdHygiene.Bench;

/// <summary>
/// The scaling curves of bench/results/latest.md as PNG line charts beside it (ScottPlot), which
/// the README shows: one series per maintenance or environment, a marker per measured point.
/// </summary>
internal static class Charts
{
    public static void Lines(string path, string title, string xLabel, string yLabel, IEnumerable<(string Name, double[] X, double[] Y)> series)
    {
        var plot = new Plot();
        var top = 0.0;
        foreach (var (name, x, y) in series)
        {
            top = Math.Max(top, y.DefaultIfEmpty(0).Max());
            var line = plot.Add.Scatter(x, y);
            line.LegendText = name;
            line.MarkerSize = 8;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Axes.SetLimitsY(0, top * 1.15 + 1e-9); // from zero: the eye compares heights
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 900, 500);
        Console.WriteLine($"wrote {path}");
    }

    /// <summary>Slowest put and cluster stall against the database size, median runs, for each maintenance. Returns the files' names.</summary>
    public static IReadOnlyList<string> MaintenanceBySize(string folder, string prefix, IReadOnlyList<MaintenanceBenchmark.SizeResult> results)
    {
        var names = results[0].Runs.Keys.ToList();
        double[] Sizes(string name) => results.Select(r => Report.Median(r.Runs[name].Select(x => x.DbSize / 1048576.0))).ToArray();
        double[] Figure(string name, Func<MaintenanceBenchmark.Run, TimeSpan> figure) =>
            results.Select(r => MaintenanceBenchmark.Median(r.Runs[name], figure).TotalSeconds).ToArray();
        var slowest = $"{prefix}-slowest-put-by-size.png";
        var stall = $"{prefix}-cluster-stall-by-size.png";
        Lines(Path.Combine(folder, slowest), "Slowest put during maintenance (median run)", "database file (MiB)", "slowest put (s)",
            names.Select(n => (n, Sizes(n), Figure(n, x => x.Slowest))));
        Lines(Path.Combine(folder, stall), "Cluster write stall during maintenance (median run)", "database file (MiB)", "longest time no put completed (s)",
            names.Select(n => (n, Sizes(n), Figure(n, x => x.Stall))));
        return [slowest, stall];
    }

    /// <summary>RSS and CPU against the number of policies, at the defaults. Returns the files' names.</summary>
    public static IReadOnlyList<string> FootprintByPolicies(string folder, string prefix, IReadOnlyList<FootprintBenchmark.Row> rows)
    {
        var idle = rows.Where(r => r.Spec == "").GroupBy(_ => "Native AOT").ToList();
        var rss = $"{prefix}-footprint-rss-by-policies.png";
        var cpu = $"{prefix}-footprint-cpu-by-policies.png";
        Lines(Path.Combine(folder, rss), "etcd-hygiene run: RSS by number of policies (defaults)", "policies", "RSS (MiB)",
            idle.Select(g => (g.Key, g.Select(r => (double)r.Policies).ToArray(), g.Select(r => r.Rss / 1048576.0).ToArray())));
        Lines(Path.Combine(folder, cpu), "etcd-hygiene run: CPU by number of policies (defaults)", "policies", "CPU (% of one core)",
            idle.Select(g => (g.Key, g.Select(r => (double)r.Policies).ToArray(), g.Select(r => r.Cpu * 100).ToArray())));
        return [rss, cpu];
    }
}
