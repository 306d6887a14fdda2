using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace EtcdHygiene.Operator.Tests;

/// <summary>YAML to JSON as the API server reads it: plain scalars that read as numbers, booleans or null are typed; quoted ones stay strings.</summary>
internal static class YamlJson
{
    /// <summary>Every non-empty document of <paramref name="yaml"/>.</summary>
    public static List<JsonObject> Documents(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => Convert(d.RootNode)).OfType<JsonObject>().Where(o => o.Count > 0).ToList();
    }

    /// <summary>The first document of <paramref name="yaml"/>.</summary>
    public static JsonNode ToJson(string yaml) => Documents(yaml)[0];

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, Convert(kv.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(Convert).ToArray()),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar => Plain(scalar.Value!),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => null,
    };

    private static JsonNode? Plain(string value) =>
        value is "null" or "~" or "" ? null
        : value is "true" or "false" ? JsonValue.Create(value == "true")
        : long.TryParse(value, out var integer) ? JsonValue.Create(integer)
        : double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number)
        : JsonValue.Create(value);
}
