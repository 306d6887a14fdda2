using System.Globalization;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using k8s.Models;

namespace EtcdHygiene.Testing.Kubernetes;

/// <summary>
/// The server-side printing kubectl get asks for (<c>Accept: application/json;as=Table;g=meta.k8s.io;v=v1</c>):
/// a meta.k8s.io/v1 Table with a Name column and the CRD's additionalPrinterColumns, each cell
/// filled from its JSONPath as the real server's table convertor does (dates as ages). The JSONPath
/// subset is what printer columns use: fields, and filters such as <c>[?(@.type=="Ready")]</c>.
/// </summary>
public static partial class TableView
{
    /// <summary>Whether the request asks for a Table.</summary>
    public static bool IsAskedFor(string? accept) => accept?.Contains("as=Table", StringComparison.Ordinal) == true;

    /// <summary>The Table of <paramref name="objects"/> with the columns of <paramref name="columns"/> (none: Name and Age).</summary>
    public static JsonObject Of(IEnumerable<JsonObject> objects, IList<V1CustomResourceColumnDefinition>? columns, string resourceVersion, DateTime now)
    {
        var printed = columns is { Count: > 0 } ? columns : [new V1CustomResourceColumnDefinition { Name = "Age", Type = "date", JsonPath = ".metadata.creationTimestamp" }];
        var definitions = new JsonArray(new JsonObject { ["name"] = "Name", ["type"] = "string", ["format"] = "name", ["description"] = "Name of the object", ["priority"] = 0 });
        foreach (var column in printed)
        {
            definitions.Add(new JsonObject
            {
                ["name"] = column.Name, ["type"] = column.Type, ["format"] = column.Format ?? "", ["description"] = column.Description ?? "", ["priority"] = column.Priority ?? 0,
            });
        }
        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var cells = new JsonArray((string?)obj["metadata"]?["name"]);
            foreach (var column in printed)
            {
                cells.Add(Cell(Find(obj, column.JsonPath), column.Type, now));
            }
            rows.Add(new JsonObject
            {
                ["cells"] = cells,
                ["object"] = new JsonObject { ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = obj["metadata"]?.DeepClone() },
            });
        }
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
            ["columnDefinitions"] = definitions,
            ["rows"] = rows,
        };
    }

    /// <summary>The value at a printer column's JSONPath, or null.</summary>
    public static JsonNode? Find(JsonNode? node, string path)
    {
        foreach (Match step in Step().Matches(path))
        {
            if (step.Groups["field"].Success)
            {
                node = (node as JsonObject)?[step.Groups["field"].Value];
            }
            else
            {
                var (key, value) = (step.Groups["key"].Value, step.Groups["value"].Value);
                node = (node as JsonArray)?.FirstOrDefault(e => (string?)e?[key]?.ToString() == value);
            }
        }
        return node;
    }

    private static JsonNode? Cell(JsonNode? value, string type, DateTime now)
    {
        if (value is null)
        {
            return null;
        }
        if (type == "date" && DateTime.TryParse(value.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
        {
            return Age(now - at);
        }
        return value.DeepClone();
    }

    /// <summary>A duration as kubectl shows ages: 45s, 3m20s, 12m, 5h10m, 3d.</summary>
    public static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }
        return age.TotalMinutes switch
        {
            < 2 => $"{(int)age.TotalSeconds}s",
            < 10 => age.Seconds == 0 ? $"{(int)age.TotalMinutes}m" : $"{(int)age.TotalMinutes}m{age.Seconds}s",
            < 180 => $"{(int)age.TotalMinutes}m",
            < 480 => age.Minutes == 0 ? $"{(int)age.TotalHours}h" : $"{(int)age.TotalHours}h{age.Minutes}m",
            < 2880 => $"{(int)age.TotalHours}h",
            _ => $"{(int)age.TotalDays}d",
        };
    }

    [GeneratedRegex("""\.(?<field>[A-Za-z0-9_-]+)|\[\?\(@\.(?<key>[A-Za-z0-9_-]+)=="(?<value>[^"]*)"\)\]""")]
    private static partial Regex Step();
}
