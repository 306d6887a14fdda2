using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace EtcdHygiene.Kubernetes.Crd;

/// <summary>
/// Writes a JSON document as block YAML, keys in their JSON order, through YamlDotNet's emitter:
/// KubernetesClient.Aot keeps its YAML serializer internal, and the JSON is what the API server
/// stores anyway. A string that YAML would read as something else (true, 10, null, an empty string)
/// is quoted.
/// </summary>
internal static partial class JsonAsYaml
{
    public static string Write(JsonNode document)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(text);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Emit(emitter, document);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject map:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, map.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, value) in map)
                {
                    emitter.Emit(String(key));
                    Emit(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonArray list:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, list.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in list)
                {
                    Emit(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                emitter.Emit(String(value.GetValue<string>()));
                break;
            case JsonValue value:
                // Numbers and booleans as JSON writes them, which YAML reads back the same.
                emitter.Emit(new Scalar(value.ToJsonString()));
                break;
            default:
                emitter.Emit(new Scalar("null"));
                break;
        }
    }

    private static Scalar String(string text) =>
        ReadsAsOtherType().IsMatch(text) || text.Length == 0
            ? new Scalar(null, null, text, ScalarStyle.DoubleQuoted, isPlainImplicit: false, isQuotedImplicit: true)
            : new Scalar(null, null, text, ScalarStyle.Any, isPlainImplicit: true, isQuotedImplicit: true);

    // What YAML 1.1 and 1.2 resolvers read as a boolean, a null or a number.
    [GeneratedRegex(@"^(true|false|yes|no|on|off|y|n|null|~|[-+]?(\.?[0-9][0-9_.]*([eE][-+]?[0-9]+)?|\.inf|\.nan|0x[0-9a-fA-F]+|0o[0-7]+))$", RegexOptions.IgnoreCase)]
    private static partial Regex ReadsAsOtherType();
}
