using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cel;
using k8s;
using k8s.Models;

namespace EtcdHygiene.Testing.Kubernetes;

/// <summary>
/// What a real API server does to a custom resource before storing it, from the CRD's structural
/// schema: unknown fields pruned (and named, for strict field validation), nulls pruned, defaults
/// applied, then every OpenAPI constraint and every <c>x-kubernetes-validations</c> CEL rule checked,
/// each failure with its field path and the real server's wording. Test code, never shipped.
/// </summary>
public sealed class CrdAdmission
{
    private static readonly HashSet<string> ObjectRoot = ["apiVersion", "kind", "metadata"];
    private readonly V1JSONSchemaProps _schema;
    private readonly CelEnvironment _cel = new(null, null);
    private readonly ConcurrentDictionary<string, CelProgramDelegate> _rules = new();

    /// <summary>Admission for the first served version of <paramref name="crd"/>.</summary>
    public CrdAdmission(V1CustomResourceDefinition crd)
    {
        Crd = crd;
        Version = crd.Spec.Versions.First(v => v.Served);
        _schema = Version.Schema.OpenAPIV3Schema;
    }

    /// <summary>The definition.</summary>
    public V1CustomResourceDefinition Crd { get; }

    /// <summary>The version served.</summary>
    public V1CustomResourceDefinitionVersion Version { get; }

    /// <summary>
    /// Prunes and defaults <paramref name="obj"/> in place, then validates it; returns the unknown
    /// fields removed and the validation errors.
    /// </summary>
    public (IReadOnlyList<string> UnknownFields, IReadOnlyList<FieldError> Errors) Admit(JsonObject obj)
    {
        var unknown = new List<string>();
        foreach (var name in obj.Select(p => p.Key).ToList())
        {
            if (!ObjectRoot.Contains(name) && _schema.Properties?.ContainsKey(name) != true)
            {
                obj.Remove(name);
                unknown.Add(name);
            }
        }
        var errors = new List<FieldError>();
        if (obj["metadata"]?["name"] is null)
        {
            errors.Add(new FieldError("metadata.name", "FieldValueRequired", "Required value"));
        }
        foreach (var (name, schema) in _schema.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
        {
            if (ObjectRoot.Contains(name) || obj[name] is null)
            {
                continue;
            }
            Prune(obj[name]!, schema, name, unknown);
            ApplyDefaults(obj[name]!, schema);
            Validate(obj[name]!, schema, name, errors);
        }
        foreach (var required in _schema.Required ?? [])
        {
            if (!ObjectRoot.Contains(required) && obj[required] is null)
            {
                errors.Add(new FieldError(required, "FieldValueRequired", "Required value"));
            }
        }
        return (unknown, errors);
    }

    private static void Prune(JsonNode node, V1JSONSchemaProps schema, string path, List<string> unknown)
    {
        if (schema.XKubernetesPreserveUnknownFields == true)
        {
            return;
        }
        if (node is JsonObject obj && schema.Properties is { } properties)
        {
            foreach (var (name, value) in obj.ToList())
            {
                if (!properties.TryGetValue(name, out var property))
                {
                    obj.Remove(name);
                    unknown.Add($"{path}.{name}");
                }
                else if (value is null)
                {
                    // A null where the schema does not say nullable is pruned before defaulting, as the real server does.
                    if (property.Nullable != true)
                    {
                        obj.Remove(name);
                    }
                }
                else
                {
                    Prune(value, property, $"{path}.{name}", unknown);
                }
            }
        }
        else if (node is JsonArray array && ItemsOf(schema) is { } items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is { } element)
                {
                    Prune(element, items, $"{path}[{i}]", unknown);
                }
            }
        }
    }

    private static void ApplyDefaults(JsonNode node, V1JSONSchemaProps schema)
    {
        if (node is JsonObject obj && schema.Properties is { } properties)
        {
            foreach (var (name, property) in properties)
            {
                if (obj[name] is null && property.DefaultProperty is { } value)
                {
                    obj[name] = JsonNode.Parse(JsonSerializer.Serialize(value));
                }
                if (obj[name] is { } child)
                {
                    ApplyDefaults(child, property);
                }
            }
        }
        else if (node is JsonArray array && ItemsOf(schema) is { } items)
        {
            foreach (var element in array.OfType<JsonNode>())
            {
                ApplyDefaults(element, items);
            }
        }
    }

    private void Validate(JsonNode node, V1JSONSchemaProps schema, string path, List<FieldError> errors)
    {
        var before = errors.Count;
        if (!HasType(node, schema, out var actual))
        {
            var expected = schema.XKubernetesIntOrString == true ? "integer,string" : schema.Type;
            errors.Add(new FieldError(path, "FieldValueTypeInvalid", $"Invalid value: \"{actual}\": {path} in body must be of type {expected}: \"{actual}\""));
            return;
        }
        if (schema.EnumProperty is { Count: > 0 } allowed && !allowed.Any(a => JsonNode.DeepEquals(JsonNode.Parse(JsonSerializer.Serialize(a)), node)))
        {
            var values = string.Join(", ", allowed.Select(a => JsonSerializer.Serialize(a)));
            errors.Add(new FieldError(path, "FieldValueNotSupported", $"Unsupported value: {node.ToJsonString()}: supported values: {values}"));
        }
        switch (node)
        {
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                ValidateString((string)value!, schema, path, errors);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                ValidateNumber(value, schema, path, errors);
                break;
            case JsonArray array:
                if (schema.MinItems is { } minItems && array.Count < minItems)
                {
                    errors.Add(Invalid(path, array.Count.ToString(CultureInfo.InvariantCulture), $"{path} in body should have at least {minItems} items"));
                }
                if (schema.MaxItems is { } maxItems && array.Count > maxItems)
                {
                    errors.Add(new FieldError(path, "FieldValueTooMany", $"Too many: {array.Count}: must have at most {maxItems} items"));
                }
                if (ItemsOf(schema) is { } items)
                {
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (array[i] is { } element)
                        {
                            Validate(element, items, $"{path}[{i}]", errors);
                        }
                    }
                }
                if (schema.XKubernetesListType == "map" && schema.XKubernetesListMapKeys is { Count: > 0 } keys)
                {
                    var seen = new HashSet<string>();
                    for (var i = 0; i < array.Count; i++)
                    {
                        var key = string.Join("/", keys.Select(k => array[i]?[k]?.ToJsonString()));
                        if (!seen.Add(key))
                        {
                            errors.Add(new FieldError($"{path}[{i}]", "FieldValueDuplicate", $"Duplicate value: {key}"));
                        }
                    }
                }
                break;
            case JsonObject obj:
                foreach (var required in schema.Required ?? [])
                {
                    if (obj[required] is null)
                    {
                        errors.Add(new FieldError($"{path}.{required}", "FieldValueRequired", "Required value"));
                    }
                }
                foreach (var (name, property) in schema.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
                {
                    if (obj[name] is { } child)
                    {
                        Validate(child, property, $"{path}.{name}", errors);
                    }
                }
                break;
        }
        // CEL rules see only values that passed the schema, as on a real server (a rule cannot be evaluated on a wrong type).
        if (errors.Count == before)
        {
            foreach (var rule in schema.XKubernetesValidations ?? [])
            {
                if (!Holds(rule.Rule, node, schema, out var failure))
                {
                    // A rule's fieldPath moves the error onto the field it names; the value shown stays
                    // the type of the object that holds the rule, as the real server words it.
                    var field = rule.FieldPath is { Length: > 0 } relative ? path + relative : path;
                    errors.Add(Invalid(field, node is JsonObject ? "\"object\"" : node.ToJsonString(), failure ?? rule.Message ?? $"failed rule: {rule.Rule}"));
                }
            }
        }
    }

    private static void ValidateString(string value, V1JSONSchemaProps schema, string path, List<FieldError> errors)
    {
        var shown = JsonSerializer.Serialize(value);
        if (schema.MinLength is { } min && value.Length < min)
        {
            errors.Add(Invalid(path, shown, $"{path} in body should be at least {min} chars long"));
        }
        if (schema.MaxLength is { } max && value.Length > max)
        {
            errors.Add(new FieldError(path, "FieldValueTooLong", $"Too long: may not be more than {max} bytes"));
        }
        if (schema.Pattern is { } pattern && !Regex.IsMatch(value, pattern))
        {
            errors.Add(Invalid(path, shown, $"{path} in body should match '{pattern}'"));
        }
    }

    private static void ValidateNumber(JsonValue value, V1JSONSchemaProps schema, string path, List<FieldError> errors)
    {
        var number = ToDouble(value);
        var shown = value.ToJsonString();
        if (schema.Minimum is { } min && (schema.ExclusiveMinimum == true ? number <= min : number < min))
        {
            errors.Add(Invalid(path, shown, $"{path} in body should be greater than {(schema.ExclusiveMinimum == true ? "" : "or equal to ")}{Number(min)}"));
        }
        if (schema.Maximum is { } max && (schema.ExclusiveMaximum == true ? number >= max : number > max))
        {
            errors.Add(Invalid(path, shown, $"{path} in body should be less than {(schema.ExclusiveMaximum == true ? "" : "or equal to ")}{Number(max)}"));
        }
        if (schema.Format == "int32" && number is < int.MinValue or > int.MaxValue)
        {
            errors.Add(Invalid(path, shown, $"{path} in body should be a 32-bit integer"));
        }
    }

    private bool Holds(string rule, JsonNode node, V1JSONSchemaProps schema, out string? failure)
    {
        failure = null;
        try
        {
            var program = _rules.GetOrAdd(rule, r => _cel.Compile(r));
            return program.Invoke(new Dictionary<string, object?> { ["self"] = ToCel(node, schema) }) is true;
        }
        catch (Exception e)
        {
            failure = $"rule '{rule}' could not be evaluated: {e.Message}";
            return false;
        }
    }

    /// <summary>The value as CEL sees it: a number field is a double, an integer field an int, objects maps.</summary>
    private static object? ToCel(JsonNode? node, V1JSONSchemaProps? schema) => node switch
    {
        null => null,
        JsonObject obj => obj.ToDictionary(p => p.Key, p => ToCel(p.Value, schema?.Properties is { } properties && properties.TryGetValue(p.Key, out var property) ? property : null)),
        JsonArray array => array.Select(e => ToCel(e, schema is null ? null : ItemsOf(schema))).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => (string)value!,
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when schema?.Type == "number" => ToDouble(value),
            JsonValueKind.Number => long.TryParse(value.ToJsonString(), CultureInfo.InvariantCulture, out var integer) ? integer : ToDouble(value),
            _ => null,
        },
        _ => null,
    };

    private static bool HasType(JsonNode node, V1JSONSchemaProps schema, out string actual)
    {
        actual = node switch
        {
            JsonObject => "object",
            JsonArray => "array",
            JsonValue v => v.GetValueKind() switch
            {
                JsonValueKind.String => "string",
                JsonValueKind.True or JsonValueKind.False => "boolean",
                JsonValueKind.Number => IsInteger(v) ? "integer" : "number",
                _ => "null",
            },
            _ => "null",
        };
        if (schema.XKubernetesIntOrString == true)
        {
            return actual is "integer" or "string";
        }
        return schema.Type switch
        {
            null => true,
            "number" => actual is "number" or "integer",
            var type => type == actual,
        };
    }

    // JSON has one number type; the server's decoder reads 3 (and 3.0) as an integer, 3.5 and 1e30 as floats.
    private static bool IsInteger(JsonValue value) => long.TryParse(value.ToJsonString(), CultureInfo.InvariantCulture, out _) ||
        (ToDouble(value) is var d && Math.Floor(d) == d && Math.Abs(d) < long.MaxValue);

    // Parsed and built nodes hold numbers as different CLR types; their JSON text is the same.
    private static double ToDouble(JsonValue value) => double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);

    private static V1JSONSchemaProps? ItemsOf(V1JSONSchemaProps schema) => schema.Items switch
    {
        V1JSONSchemaProps items => items,
        JsonElement element when element.ValueKind == JsonValueKind.Object => KubernetesJson.Deserialize<V1JSONSchemaProps>(element.GetRawText()),
        _ => null,
    };

    private static FieldError Invalid(string path, string value, string detail) => new(path, "FieldValueInvalid", $"Invalid value: {value}: {detail}");

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
}
