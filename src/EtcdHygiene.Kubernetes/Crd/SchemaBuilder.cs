using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;
using k8s.Models;

namespace EtcdHygiene.Kubernetes.Crd;

/// <summary>
/// Turns the API's C# types into a structural OpenAPI v3 schema: types from the properties,
/// descriptions from the XML docs, bounds, enums, defaults and formats from the attributes, and
/// CEL rules from <see cref="CelRuleAttribute"/>.
/// </summary>
internal sealed partial class SchemaBuilder(XmlDocumentation docs)
{
    public const string DurationPattern = @"^(0|([0-9]+(\.[0-9]+)?(ms|s|m|h))+)$";
    public const string QuantityPattern = @"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$";
    public const string UrlPattern = @"^https?://[^/\s]+/?$";

    /// <summary>The schema of one API type, read from its JSON metadata (<see cref="ApiJson"/>): the names the serializer writes, no reflection over types.</summary>
    public V1JSONSchemaProps ForObject(JsonTypeInfo type)
    {
        var schema = new V1JSONSchemaProps
        {
            Type = "object",
            Description = docs.Of(type.Type),
            Properties = new Dictionary<string, V1JSONSchemaProps>(),
        };
        var required = new List<string>();
        foreach (var property in type.Properties)
        {
            schema.Properties[property.Name] = ForProperty(property, type.Options);
            if (Attribute<RequiredAttribute>(property) is not null)
            {
                required.Add(property.Name);
            }
        }
        schema.Required = required.Count > 0 ? required : null;
        var rules = type.Type.GetCustomAttributes<CelRuleAttribute>()
            .Select(r => new V1ValidationRule { Rule = WithDefaults(r.Rule, type), Message = r.Message, FieldPath = r.FieldPath }).ToList();
        schema.XKubernetesValidations = rules.Count > 0 ? rules : null;
        return schema;
    }

    private V1JSONSchemaProps ForProperty(JsonPropertyInfo property, JsonSerializerOptions options)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var format = Attribute<TextFormatAttribute>(property)?.Format;
        V1JSONSchemaProps schema;
        if (options.GetTypeInfo(type) is { Kind: JsonTypeInfoKind.Enumerable, ElementType: { } itemType })
        {
            var count = Attribute<ItemCountAttribute>(property);
            schema = new V1JSONSchemaProps
            {
                Type = "array",
                Items = itemType == typeof(string) ? ForScalar(typeof(string), format, null) : ForObject(options.GetTypeInfo(itemType)),
                MinItems = count is { Minimum: > 0 } ? count.Minimum : null,
                MaxItems = count?.Maximum,
            };
            if (itemType == typeof(string) && Attribute<StringLengthAttribute>(property) is { } itemLength)
            {
                ((V1JSONSchemaProps)schema.Items).MaxLength = itemLength.MaximumLength;
            }
            if (itemType == typeof(PolicyCondition))
            {
                // Conditions are a map keyed by type, as metav1.Condition lists are.
                schema.XKubernetesListType = "map";
                schema.XKubernetesListMapKeys = ["type"];
            }
        }
        else if (type == typeof(string) || type.IsPrimitive)
        {
            schema = ForScalar(type, format, property);
        }
        else
        {
            schema = ForObject(options.GetTypeInfo(type));
            if (Attribute<DefaultObjectAttribute>(property) is not null)
            {
                schema.DefaultProperty = new Dictionary<string, object>();
            }
        }
        schema.Description = docs.Of(Member(property));
        if (Attribute<DefaultValueAttribute>(property)?.Value is { } value)
        {
            schema.DefaultProperty = value;
        }
        return schema;
    }

    private static V1JSONSchemaProps ForScalar(Type type, TextFormat? format, JsonPropertyInfo? property)
    {
        var schema = format switch
        {
            TextFormat.Quantity => new V1JSONSchemaProps
            {
                XKubernetesIntOrString = true,
                AnyOf = [new V1JSONSchemaProps { Type = "integer" }, new V1JSONSchemaProps { Type = "string" }],
                Pattern = QuantityPattern,
                MaxLength = PolicyBounds.ShortTextLength,
            },
            TextFormat.Duration => new V1JSONSchemaProps { Type = "string", Pattern = DurationPattern, MaxLength = PolicyBounds.ShortTextLength },
            TextFormat.Url => new V1JSONSchemaProps { Type = "string", Pattern = UrlPattern },
            _ when type == typeof(string) => new V1JSONSchemaProps { Type = "string" },
            _ when type == typeof(bool) => new V1JSONSchemaProps { Type = "boolean" },
            _ when type == typeof(double) => new V1JSONSchemaProps { Type = "number" },
            _ when type == typeof(int) => new V1JSONSchemaProps { Type = "integer", Format = "int32" },
            _ when type == typeof(long) => new V1JSONSchemaProps { Type = "integer", Format = "int64" },
            _ => throw new NotSupportedException($"no schema for {type}"),
        };
        if (property is null)
        {
            return schema;
        }
        if (Attribute<RangeAttribute>(property) is { } range)
        {
            schema.Minimum = Convert.ToDouble(range.Minimum);
            schema.ExclusiveMinimum = range.MinimumIsExclusive ? true : null;
            var maximum = Convert.ToDouble(range.Maximum);
            schema.Maximum = maximum >= long.MaxValue ? null : maximum;
        }
        if (Attribute<AllowedValuesAttribute>(property) is { } allowed)
        {
            schema.EnumProperty = allowed.Values.Cast<object>().ToList();
        }
        if (type == typeof(string) && Attribute<StringLengthAttribute>(property) is { } length)
        {
            schema.MinLength = length.MinimumLength > 0 ? length.MinimumLength : null;
            schema.MaxLength = length.MaximumLength;
        }
        return schema;
    }

    /// <summary>A CEL rule with each <c>default(field)</c> replaced by that field's default, as a CEL literal.</summary>
    private static string WithDefaults(string rule, JsonTypeInfo type) => DefaultToken().Replace(rule, match =>
    {
        var field = match.Groups[1].Value;
        var property = type.Properties.FirstOrDefault(p => p.Name == field)
                       ?? throw new InvalidOperationException($"CEL rule of {type.Type.Name}: default({field}) names no field");
        return Attribute<DefaultValueAttribute>(property)?.Value switch
        {
            double d => d.ToString("R", CultureInfo.InvariantCulture) is var text && text.Contains('.') ? text : text + ".0",
            long l => l.ToString(CultureInfo.InvariantCulture),
            int i => i.ToString(CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            string text => $"'{text}'",
            var other => throw new InvalidOperationException($"CEL rule of {type.Type.Name}: default({field}) has no default a rule can use ({other})"),
        };
    });

    [GeneratedRegex(@"default\((\w+)\)")]
    private static partial Regex DefaultToken();

    // Source-generated metadata gives each property's PropertyInfo as its attribute provider.
    private static PropertyInfo Member(JsonPropertyInfo property) =>
        property.AttributeProvider as PropertyInfo ?? throw new InvalidOperationException($"{property.Name}: no member behind the JSON property");

    private static TAttribute? Attribute<TAttribute>(JsonPropertyInfo property) where TAttribute : Attribute =>
        Member(property).GetCustomAttribute<TAttribute>();
}
