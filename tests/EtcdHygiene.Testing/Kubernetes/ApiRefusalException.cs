using System.Text.Json.Nodes;

namespace EtcdHygiene.Testing.Kubernetes;

/// <summary>A write the test API server refused, with its HTTP code and the Status it answered.</summary>
public sealed class ApiRefusalException(int code, JsonObject status) : Exception((string?)status["message"])
{
    /// <summary>422 for a schema violation, 400 for an unknown field under strict validation.</summary>
    public int Code { get; } = code;

    /// <summary>The Status object, with details.causes naming each field.</summary>
    public JsonObject Status { get; } = status;
}
