using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EtcdHygiene.Core.Analysis.Paths;

/// <summary>
/// A few dozen characters of a JSON value, for a person to recognise the part that flips — never
/// the whole value, which may hold credentials. Strings are cut at <see cref="MaxString"/>
/// characters, the excerpt at <see cref="MaxLength"/>, and the value of any member whose name
/// looks like a secret's (password, token, secret, key, credential…) shows as <c>***</c>.
/// </summary>
public static partial class ValueExcerpt
{
    /// <summary>Longest excerpt, in characters, before the ellipsis.</summary>
    public const int MaxLength = 60;

    /// <summary>Longest string value shown, in characters, before the ellipsis.</summary>
    public const int MaxString = 32;

    /// <summary>What stands for a hidden value.</summary>
    public const string Hidden = "***";

    /// <summary>What stands for a member or element that is not there.</summary>
    public const string Absent = "(absent)";

    /// <summary>True when a member of that name likely holds a secret.</summary>
    public static bool IsSecretName(string name) => SecretName().IsMatch(name);

    /// <summary><paramref name="text"/> cut at <paramref name="length"/> characters, an ellipsis marking the cut.</summary>
    public static string Cut(string text, int length) => text.Length > length ? string.Concat(text.AsSpan(0, length), "…") : text;

    /// <summary>The excerpt of <paramref name="value"/>; <paramref name="secret"/> hides it whole.</summary>
    public static string Of(JsonElement value, bool secret = false)
    {
        if (secret)
        {
            return Hidden;
        }
        var text = new StringBuilder();
        Append(text, value);
        return Cut(text.ToString(), MaxLength);
    }

    private static void Append(StringBuilder text, JsonElement value)
    {
        if (text.Length > MaxLength)
        {
            return;
        }
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                text.Append('{');
                var first = true;
                foreach (var member in value.EnumerateObject())
                {
                    if (text.Length > MaxLength)
                    {
                        return;
                    }
                    text.Append(first ? "" : ",").Append(Quote(member.Name)).Append(':');
                    first = false;
                    if (IsSecretName(member.Name))
                    {
                        text.Append(Hidden);
                    }
                    else
                    {
                        Append(text, member.Value);
                    }
                }
                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var index = 0;
                foreach (var element in value.EnumerateArray())
                {
                    if (text.Length > MaxLength)
                    {
                        return;
                    }
                    text.Append(index++ == 0 ? "" : ",");
                    Append(text, element);
                }
                text.Append(']');
                break;
            case JsonValueKind.String:
                text.Append(Quote(value.GetString()!));
                break;
            default:
                var raw = value.GetRawText();
                text.Append(Cut(raw, MaxString));
                break;
        }
    }

    // Quoted as JSON, but readable: only quotes, backslashes and control characters are escaped.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Quote(string text) =>
        JsonSerializer.Serialize(Cut(text, MaxString), Readable);

    [GeneratedRegex("pass|secret|token|key|cred|auth|private|cert", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}
