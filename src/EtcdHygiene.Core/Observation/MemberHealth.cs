namespace EtcdHygiene.Core.Observation;

/// <summary>The outcome of a linearizable read through one member.</summary>
/// <param name="State">Healthy, unhealthy or not known.</param>
/// <param name="Reason">Why it is not healthy; null when healthy.</param>
public sealed record MemberHealth(HealthState State, string? Reason)
{
    /// <summary>The member served a linearizable read in time.</summary>
    public static MemberHealth Healthy { get; } = new(HealthState.Healthy, null);

    /// <summary>The member failed the read, with the reason.</summary>
    public static MemberHealth Unhealthy(string reason) => new(HealthState.Unhealthy, reason);

    /// <summary>The member was not probed, with the reason.</summary>
    public static MemberHealth Unknown(string reason) => new(HealthState.Unknown, reason);

    /// <summary>True only for <see cref="HealthState.Healthy"/>.</summary>
    public bool IsHealthy => State == HealthState.Healthy;
}

/// <summary>Health of one member.</summary>
public enum HealthState
{
    /// <summary>Not probed (e.g. the member could not be reached at all).</summary>
    Unknown,
    /// <summary>A linearizable read succeeded within the request timeout.</summary>
    Healthy,
    /// <summary>A linearizable read failed or timed out.</summary>
    Unhealthy,
}
