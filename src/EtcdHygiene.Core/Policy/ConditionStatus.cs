namespace EtcdHygiene.Core.Policy;

/// <summary>The three values of a condition's <c>status</c>, as Kubernetes spells them.</summary>
public static class ConditionStatus
{
    /// <summary>The condition holds.</summary>
    public const string True = nameof(True);
    /// <summary>The condition does not hold.</summary>
    public const string False = nameof(False);
    /// <summary>It cannot be told.</summary>
    public const string Unknown = nameof(Unknown);

    /// <summary>True or False.</summary>
    public static string Of(bool holds) => holds ? True : False;
}
