namespace EtcdHygiene.Operator.Controller;

/// <summary>A Kubernetes event to record about a policy.</summary>
/// <param name="Type">Normal or Warning.</param>
/// <param name="Reason">CamelCase reason.</param>
/// <param name="Message">What happened and why.</param>
public sealed record PolicyEvent(string Type, EventReason Reason, string Message)
{
    /// <summary>Normal, as Kubernetes spells it.</summary>
    public const string Normal = nameof(Normal);

    /// <summary>Warning, as Kubernetes spells it.</summary>
    public const string Warning = nameof(Warning);
}
