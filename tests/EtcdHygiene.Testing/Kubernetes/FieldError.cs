namespace EtcdHygiene.Testing.Kubernetes;

/// <summary>One cause of a 422 Invalid answer, as the real API server words it: the field path, the reason, the message.</summary>
public sealed record FieldError(string Field, string Reason, string Message)
{
    /// <summary>"field: message", the form the real server joins into the Status message.</summary>
    public override string ToString() => $"{Field}: {Message}";
}
