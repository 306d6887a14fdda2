namespace EtcdHygiene.Testing.Kubernetes;

/// <summary>
/// A request's <c>fieldValidation</c> (Strict, Warn, Ignore): what the server does with fields the
/// schema does not know. Strict refuses them (kubectl sends it by default), Warn and Ignore prune
/// them, Warn with a Warning header, as the real server does.
/// </summary>
public sealed class FieldValidation(string mode)
{
    /// <summary>Prune silently: what a client that sends no mode gets.</summary>
    public static FieldValidation Ignore => new("Ignore");

    /// <summary>Unknown fields are refused.</summary>
    public bool Strict => mode == "Strict";

    /// <summary>The warnings to send back (Warn mode only; Ignore drops them).</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Whether warnings go back to the client.</summary>
    public bool Warns => mode == "Warn";
}
