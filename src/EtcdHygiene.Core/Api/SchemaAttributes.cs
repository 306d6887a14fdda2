using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Api;

/// <summary>How a string field of the API is written, so the CRD can check it before we do.</summary>
public enum TextFormat
{
    /// <summary>A Go-style duration: 10s, 5m, 1h30m.</summary>
    Duration,
    /// <summary>A Kubernetes byte quantity: 100Mi, 2Gi, or a plain number of bytes.</summary>
    Quantity,
    /// <summary>An http:// or https:// URL.</summary>
    Url,
}

/// <summary>Marks a string field with its <see cref="TextFormat"/>.</summary>
/// <param name="format">How the field is written.</param>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TextFormatAttribute(TextFormat format) : Attribute
{
    /// <summary>How the field is written.</summary>
    public TextFormat Format { get; } = format;
}

/// <summary>
/// A cross-field rule the API server checks (CEL, <c>x-kubernetes-validations</c>); the validator
/// checks the same rule for policy files.
/// </summary>
/// <param name="rule">
/// The CEL expression, evaluated with <c>self</c> the annotated object. <c>default(field)</c> stands
/// for that field's <see cref="System.ComponentModel.DefaultValueAttribute"/>, which the CRD
/// generator writes in, so that a default is defined once (<see cref="PolicyDefaults"/>).
/// </param>
/// <param name="message">What a person reads when it fails.</param>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Property, AllowMultiple = true)]
public sealed class CelRuleAttribute(string rule, string message) : Attribute
{
    /// <summary>The CEL expression.</summary>
    public string Rule { get; } = rule;

    /// <summary>The failure message.</summary>
    public string Message { get; } = message;

    /// <summary>
    /// The field a failure is reported on, relative to the annotated object (<c>.schedule</c>), when
    /// the rule is about one field: the refusal then names that field, not its parent.
    /// </summary>
    public string? FieldPath { get; init; }
}

/// <summary>
/// An optional object of the spec that the API server defaults to <c>{}</c>, so that the defaults
/// of its fields show in the stored object of a policy that never named it (<c>kubectl get -o yaml</c>).
/// Not for objects whose presence means something (a Secret reference).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DefaultObjectAttribute : Attribute;

/// <summary>
/// How many items a list field may hold (the CRD's <c>minItems</c> and <c>maxItems</c>). Ours rather
/// than DataAnnotations' MinLength and MaxLength, whose constructors need reflection the Native AOT
/// executable does not keep; strings take <see cref="System.ComponentModel.DataAnnotations.StringLengthAttribute"/>.
/// </summary>
/// <param name="maximum">The most items the list may hold.</param>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ItemCountAttribute(int maximum) : Attribute
{
    /// <summary>The most items the list may hold.</summary>
    public int Maximum { get; } = maximum;

    /// <summary>The fewest items the list may hold; 0 writes no <c>minItems</c>.</summary>
    public int Minimum { get; init; }
}
