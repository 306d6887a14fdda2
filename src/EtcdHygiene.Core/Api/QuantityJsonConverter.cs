using System.Text.Json;
using System.Text.Json.Serialization;

namespace EtcdHygiene.Core.Api;

/// <summary>
/// Quantities are int-or-string in the CRD (<c>2Gi</c> or <c>2147483648</c>); the API types hold
/// them as text, so a number is read as its digits instead of failing the whole object.
/// </summary>
public sealed class QuantityJsonConverter : JsonConverter<string?>
{
    /// <inheritdoc />
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
        _ => throw new JsonException($"a quantity is a number or a string such as 2Gi, not {reader.TokenType}"),
    };

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
}
