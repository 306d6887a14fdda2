using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EtcdHygiene.Core.Analysis.Paths;

/// <summary>
/// A few dozen characters of a JSON value, for a person to recognise the part that flips — never
/// the whole value, which may hold credentials. Strings are cut at <see cref="MaxString"/>
/// characters, the excerpt at <see cref="MaxLength"/>, and <c>***</c> stands for the value of any
/// member whose name looks like a secret's (password, token, secret, key, credential…) and for any
/// string that looks like one whatever holds it (<see cref="LooksSecret"/>): a secret in an array
/// of bare strings (<c>"env": ["DB_PASSWORD=…"]</c>) has no member name to give it away.
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

    /// <summary>
    /// True when a string value looks like a credential: a secret-looking name followed by <c>=</c>
    /// or <c>:</c> (<c>DB_PASSWORD=…</c>, <c>token: …</c>), an HTTP authorization (<c>Bearer …</c>),
    /// a PEM block, a JWT, a URL carrying a password, or a long opaque token (24 or more characters
    /// of base64 mixing cases and digits at random, or 32 or more hex digits). Ids such as UUIDs, names,
    /// addresses and versions are not: people need them to recognise what flips.
    /// </summary>
    public static bool LooksSecret(string value) =>
        SecretAssignment().IsMatch(value) || CredentialShape().IsMatch(value) || IsOpaqueToken(value);

    private static bool IsOpaqueToken(string value)
    {
        var text = value.Trim();
        if (HexToken().IsMatch(text))
        {
            return true;
        }
        // A UUID is how registries name their nodes ("greeter-0f8fad5b-d9cb-…"), whatever its case.
        if (!Base64Token().IsMatch(text) || Uuid().IsMatch(text) || !text.Any(char.IsDigit) || !text.Any(char.IsLower) || !text.Any(char.IsUpper))
        {
            return false;
        }
        // Random base64 changes between upper case, lower case and digit at about two of three
        // characters; names such as "GreeterService-v2-production" at few (separators ignored).
        var classes = text.Where(char.IsAsciiLetterOrDigit).Select(c => char.IsDigit(c) ? 0 : char.IsUpper(c) ? 1 : 2).ToList();
        var changes = classes.Zip(classes.Skip(1)).Count(p => p.First != p.Second);
        return changes >= 0.3 * classes.Count;
    }

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
                var content = value.GetString()!;
                text.Append(LooksSecret(content) ? Hidden : Quote(content));
                break;
            default:
                var raw = value.GetRawText();
                text.Append(Cut(raw, MaxString));
                break;
        }
    }

    // Quoted as JSON, but readable: only quotes, backslashes and control characters are escaped.
    private static readonly JsonWriterOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Quote(string text)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Readable))
        {
            writer.WriteStringValue(Cut(text, MaxString));
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [GeneratedRegex("pass|secret|token|key|cred|auth|private|cert", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(pass|secret|token|key|cred|auth|private)\w*\s*[=:]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretAssignment();

    // "Bearer …"/"Basic …", a PEM block, a JWT (base64url header "eyJ…" then a dot), a URL with user:password@.
    [GeneratedRegex(@"^\s*(bearer|basic)\s+\S|-----BEGIN |^\s*eyJ[A-Za-z0-9_-]+\.|://[^/@\s:]*:[^/@\s]*@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CredentialShape();

    [GeneratedRegex("^[A-Za-z0-9+/_=-]{24,}$", RegexOptions.CultureInvariant)]
    private static partial Regex Base64Token();

    [GeneratedRegex("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", RegexOptions.CultureInvariant)]
    private static partial Regex Uuid();

    [GeneratedRegex("^[0-9a-fA-F]{32,}$", RegexOptions.CultureInvariant)]
    private static partial Regex HexToken();
}
