using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EtcdHygiene.Core.Analysis.Paths;

/// <summary>
/// Where a key's new JSON value differs from its previous one: the arrays or objects whose order
/// changed (<c>$.endpoints</c>, elements 2 and 3 swap) and the paths whose values changed
/// (<c>$.nodes[0].metadata.load</c>). Values are compared as <see cref="CanonicalJson"/> does —
/// numbers by value, a duplicate member as its last occurrence — so the paths explain the
/// classifier's verdict. Costly next to the classifier: it runs on samples only (<see cref="FlipSampler"/>).
/// </summary>
public static partial class JsonDiff
{
    /// <summary>Most flips reported for one pair of values: the first ones in document order.</summary>
    public const int MaxFlips = 8;

    /// <summary>Most swapped elements named in a reorder's excerpt.</summary>
    private const int MaxMovedShown = 4;

    /// <summary>The flips from <paramref name="before"/> to <paramref name="after"/>; null when either is not JSON.</summary>
    public static IReadOnlyList<JsonFlip>? Compare(ReadOnlyMemory<byte> before, ReadOnlyMemory<byte> after)
    {
        JsonDocument? a = null;
        try
        {
            a = JsonDocument.Parse(before);
            using var b = JsonDocument.Parse(after);
            var flips = new List<JsonFlip>();
            Compare(a.RootElement, b.RootElement, "$", secret: false, flips);
            return flips;
        }
        catch (JsonException)
        {
            return null;
        }
        finally
        {
            a?.Dispose();
        }
    }

    private static void Compare(JsonElement a, JsonElement b, string path, bool secret, List<JsonFlip> flips)
    {
        if (flips.Count >= MaxFlips)
        {
            return;
        }
        if (KindOf(a) != KindOf(b))
        {
            flips.Add(new JsonFlip(path, FlipKind.Changed, ValueExcerpt.Of(a, secret), ValueExcerpt.Of(b, secret)));
            return;
        }
        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                CompareObjects(a, b, path, secret, flips);
                break;
            case JsonValueKind.Array:
                CompareArrays(a, b, path, secret, flips);
                break;
            default:
                if (Hash(a) != Hash(b))
                {
                    flips.Add(new JsonFlip(path, FlipKind.Changed, ValueExcerpt.Of(a, secret), ValueExcerpt.Of(b, secret)));
                }
                break;
        }
    }

    private static void CompareObjects(JsonElement a, JsonElement b, string path, bool secret, List<JsonFlip> flips)
    {
        var (aOrder, aMembers) = LastWins(a);
        var (bOrder, bMembers) = LastWins(b);
        var found = flips.Count;
        foreach (var name in aOrder)
        {
            var child = Member(path, name);
            var hidden = secret || ValueExcerpt.IsSecretName(name);
            if (bMembers.TryGetValue(name, out var bValue))
            {
                Compare(aMembers[name], bValue, child, hidden, flips);
            }
            else if (flips.Count < MaxFlips)
            {
                flips.Add(new JsonFlip(child, FlipKind.Changed, ValueExcerpt.Of(aMembers[name], hidden), ValueExcerpt.Absent));
            }
        }
        foreach (var name in bOrder.Where(n => !aMembers.ContainsKey(n)))
        {
            if (flips.Count < MaxFlips)
            {
                flips.Add(new JsonFlip(Member(path, name), FlipKind.Changed, ValueExcerpt.Absent,
                    ValueExcerpt.Of(bMembers[name], secret || ValueExcerpt.IsSecretName(name))));
            }
        }
        if (flips.Count == found && flips.Count < MaxFlips && !aOrder.SequenceEqual(bOrder, StringComparer.Ordinal))
        {
            flips.Add(new JsonFlip(path, FlipKind.Reordered, Names(aOrder), Names(bOrder)));
        }
    }

    private static void CompareArrays(JsonElement a, JsonElement b, string path, bool secret, List<JsonFlip> flips)
    {
        var aElements = a.EnumerateArray().ToList();
        var bElements = b.EnumerateArray().ToList();
        if (aElements.Count != bElements.Count)
        {
            flips.Add(new JsonFlip(path, FlipKind.Changed, Elements(aElements.Count), Elements(bElements.Count)));
            return;
        }
        var aHashes = aElements.Select(Hash).ToArray();
        var bHashes = bElements.Select(Hash).ToArray();
        var moved = Enumerable.Range(0, aHashes.Length).Where(i => aHashes[i] != bHashes[i]).ToList();
        if (moved.Count == 0)
        {
            // Equal element by element: any difference is deeper (a nested reorder), or only formatting.
            for (var i = 0; i < aElements.Count; i++)
            {
                Compare(aElements[i], bElements[i], $"{path}[{i}]", secret, flips);
            }
            return;
        }
        if (aHashes.Order().SequenceEqual(bHashes.Order()))
        {
            var tie = secret ? null : TieOf(aElements, moved);
            flips.Add(new JsonFlip(path, FlipKind.Reordered, Moved(aElements, moved, tie, secret), Moved(bElements, moved, tie, secret), tie));
            return;
        }
        foreach (var i in moved)
        {
            Compare(aElements[i], bElements[i], $"{path}[{i}]", secret, flips);
        }
    }

    /// <summary>
    /// What the elements at <paramref name="moved"/> agree on and differ on, from their scalar
    /// fields down to two levels (<c>name</c>, <c>metadata.topic</c>); null when nothing ties them.
    /// </summary>
    private static SortTie? TieOf(List<JsonElement> elements, List<int> moved)
    {
        if (moved.Any(i => elements[i].ValueKind != JsonValueKind.Object))
        {
            return null;
        }
        var fields = moved.Select(i => Fields(elements[i])).ToList();
        var others = Enumerable.Range(0, elements.Count).Except(moved)
            .Where(i => elements[i].ValueKind == JsonValueKind.Object).Select(i => Fields(elements[i])).ToList();
        var shared = fields[0].Keys.Where(f => fields.All(e => e.TryGetValue(f, out var h) && h == fields[0][f])).ToList();
        // The likely sort key is a field that groups the swapped elements apart from the others:
        // best one the others lack (a subscriber's topic among handlers), then one they hold with
        // another value; a field every element shares, or a null, says nothing and comes last.
        var agree = shared.OrderBy(f => fields[0][f] == NullHash ? 3
                : others.Count == 0 ? 1
                : others.All(o => !o.ContainsKey(f)) ? 0
                : others.All(o => o.TryGetValue(f, out var h) && h == fields[0][f]) ? 2 : 1)
            .Take(3).ToList();
        var differ = fields[0].Keys.FirstOrDefault(f => fields.All(e => e.ContainsKey(f)) && fields.Select(e => e[f]).Distinct().Count() == fields.Count);
        return agree.Count > 0 && differ is not null ? new SortTie(agree, differ) : null;
    }

    /// <summary>Hashes of an object's scalar fields down to two levels, in document order, secrets left out.</summary>
    private static Dictionary<string, ulong> Fields(JsonElement element)
    {
        var fields = new Dictionary<string, ulong>(StringComparer.Ordinal);
        Collect(element, "", 0);
        return fields;

        void Collect(JsonElement obj, string prefix, int depth)
        {
            var (order, members) = LastWins(obj);
            foreach (var name in order)
            {
                if (ValueExcerpt.IsSecretName(name))
                {
                    continue;
                }
                var value = members[name];
                if (value.ValueKind == JsonValueKind.Object && depth < 1)
                {
                    Collect(value, prefix + name + ".", depth + 1);
                }
                else if (value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
                {
                    fields[prefix + name] = Hash(value);
                }
            }
        }
    }

    /// <summary>"[2] name="Audit.Record", [3] name="Billing.Charge"": the moved positions and what each holds.</summary>
    private static string Moved(List<JsonElement> elements, List<int> moved, SortTie? tie, bool secret)
    {
        var shown = moved.Take(MaxMovedShown).Select(i => $"[{i}] {Label(elements[i], tie, secret)}");
        return string.Join(", ", shown) + (moved.Count > MaxMovedShown ? ", …" : "");
    }

    private static string Label(JsonElement element, SortTie? tie, bool secret)
    {
        if (tie is not null && Field(element, tie.DifferOn) is { } value)
        {
            return $"{tie.DifferOn}={ValueExcerpt.Of(value)}";
        }
        var excerpt = ValueExcerpt.Of(element, secret);
        return ValueExcerpt.Cut(excerpt, ValueExcerpt.MaxString);
    }

    private static JsonElement? Field(JsonElement element, string dotted)
    {
        foreach (var name in dotted.Split('.'))
        {
            if (element.ValueKind != JsonValueKind.Object || !LastWins(element).Members.TryGetValue(name, out element))
            {
                return null;
            }
        }
        return element;
    }

    /// <summary>An object's member names in order of first appearance, each with its last value, as parsers that keep the last duplicate read it.</summary>
    private static (List<string> Order, Dictionary<string, JsonElement> Members) LastWins(JsonElement obj)
    {
        var order = new List<string>();
        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in obj.EnumerateObject())
        {
            if (!members.ContainsKey(member.Name))
            {
                order.Add(member.Name);
            }
            members[member.Name] = member.Value;
        }
        return (order, members);
    }

    private static readonly ulong NullHash = CanonicalJson.Of("null"u8).Hash;

    private static ulong Hash(JsonElement element) => CanonicalJson.Of(JsonMarshal.GetRawUtf8Value(element)).Hash;

    private static JsonValueKind KindOf(JsonElement element) => element.ValueKind == JsonValueKind.False ? JsonValueKind.True : element.ValueKind;

    private static string Member(string path, string name) =>
        Identifier().IsMatch(name) ? $"{path}.{name}" : $"{path}['{name.Replace("\\", "\\\\").Replace("'", "\\'")}']";

    private static string Names(List<string> names) => ValueExcerpt.Cut("{" + string.Join(",", names) + "}", ValueExcerpt.MaxLength);

    private static string Elements(int count) => count == 1 ? "1 element" : $"{count} elements";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();
}
