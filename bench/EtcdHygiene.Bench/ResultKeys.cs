using System.Text.Json;
using System.Text.Json.Nodes;

namespace EtcdHygiene.Bench;

/// <summary>
/// bench/results/latest.json: one number per named key, so that a script can compare runs. A
/// scenario run alone updates its own keys and keeps the others' from the last run that measured them.
/// </summary>
internal static class ResultKeys
{
    public static readonly string DefaultPath = Path.Combine("bench", "results", "latest.json");

    public static async Task WriteAsync(IReadOnlyDictionary<string, double> keys, string? path = null)
    {
        path ??= DefaultPath;
        var document = File.Exists(path) && JsonNode.Parse(await File.ReadAllTextAsync(path)) is JsonObject existing ? existing : new JsonObject();
        foreach (var (key, value) in keys)
        {
            document[key] = Math.Round(value, 3);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);
        Console.WriteLine($"wrote {path}");
    }
}
