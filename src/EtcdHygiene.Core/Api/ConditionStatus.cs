namespace EtcdHygiene.Core.Api;

/// <summary>The three values of a condition's <c>status</c>, as Kubernetes spells them.</summary>
public readonly record struct ConditionStatus(string Value)
{
    /// <summary>The condition holds.</summary>
    public static readonly ConditionStatus True = new(nameof(True));
    /// <summary>The condition does not hold.</summary>
    public static readonly ConditionStatus False = new(nameof(False));
    /// <summary>It cannot be told.</summary>
    public static readonly ConditionStatus Unknown = new(nameof(Unknown));

    /// <summary>True or False.</summary>
    public static ConditionStatus Of(bool holds) => holds ? True : False;

    /// <summary>The wire value.</summary>
    public override string ToString() => Value;

    /// <summary>Read as the wire string; the other way needs <c>new</c>.</summary>
    public static implicit operator string(ConditionStatus value) => value.Value;
}
