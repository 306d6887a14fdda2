using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Reporting;

/// <summary>
/// What <c>analyze --output json</c> prints: the report for scripts, CI checks and tickets. Its
/// schema is <c>docs/analyze-output.schema.json</c>; field names are stable within a
/// <see cref="SchemaVersion"/>, and each group has the shape of <c>status.hotKeys</c>.
/// </summary>
public sealed class AnalyzeDocument
{
    /// <summary>The version of the schema the document follows; a field is renamed or removed only with a new one.</summary>
    public int SchemaVersion { get; init; } = 1;

    /// <summary>Writes analysed (replayed and followed).</summary>
    public long AnalysedWrites { get; init; }

    /// <summary>The first revision analysed; absent when nothing was.</summary>
    public long? FirstRevision { get; init; }

    /// <summary>The last revision analysed; absent when nothing was.</summary>
    public long? LastRevision { get; init; }

    /// <summary>The time the rates cover, in seconds; absent when unknown.</summary>
    public double? CoveredSeconds { get; init; }

    /// <summary>Replayed writes that could not be dated: in the counts and shares, not in the rates.</summary>
    public long UndatedWrites { get; init; }

    /// <summary>How many writes each group's count may miss (more groups than counters).</summary>
    public long ErrorBound { get; init; }

    /// <summary>Approximate history all analysed writes created, in bytes.</summary>
    public long HistoryBytes { get; init; }

    /// <summary>Revisions compacted before they could be read.</summary>
    public long LostRevisions { get; init; }

    /// <summary>What a person should know about the figures, e.g. that the cluster took no writes while its rate was measured.</summary>
    public string? Note { get; init; }

    /// <summary>Groups that churn (each has <c>churning: true</c> and a <c>diagnosis</c>).</summary>
    public int ChurningGroups { get; init; }

    /// <summary>Key groups, most wasteful first.</summary>
    public required IReadOnlyList<HotKeyStatus> Groups { get; init; }

    /// <summary>Keys written most, most first.</summary>
    public required IReadOnlyList<KeyWrites> Keys { get; init; }

    /// <summary>The document of <paramref name="report"/>.</summary>
    public static AnalyzeDocument Of(ChurnReport report, string? note, long lostRevisions) => new()
    {
        AnalysedWrites = report.Events,
        FirstRevision = report.Revisions?.First,
        LastRevision = report.Revisions?.Last,
        CoveredSeconds = report.Covered is { } covered ? Math.Round(covered.TotalSeconds, 1) : null,
        UndatedWrites = report.Groups.Sum(g => g.UndatedWrites),
        ErrorBound = report.ErrorBound,
        HistoryBytes = report.HistoryBytes,
        LostRevisions = lostRevisions,
        Note = note,
        ChurningGroups = report.Churning.Count,
        Groups = report.Groups.Select(HotKeys.Of).ToList(),
        Keys = report.Keys.Select(k => new KeyWrites(k.Key, k.Writes)).ToList(),
    };

    /// <summary>The document as indented JSON, absent values left out.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json) + Environment.NewLine;

    private static readonly JsonTypeInfo<AnalyzeDocument> Json = (JsonTypeInfo<AnalyzeDocument>)new JsonSerializerOptions(AnalyzeDocumentJson.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }.GetTypeInfo(typeof(AnalyzeDocument));
}

/// <summary>The document's JSON metadata, generated at build time (Native AOT has no reflection-based serializer).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(AnalyzeDocument))]
internal sealed partial class AnalyzeDocumentJson : JsonSerializerContext;

/// <summary>A key and its writes.</summary>
/// <param name="Key">The key.</param>
/// <param name="Writes">Its writes (an estimate: at most the report's error bound too many).</param>
public sealed record KeyWrites(string Key, long Writes);
