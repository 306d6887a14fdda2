namespace EtcdHygiene.Core.Observation;

/// <summary>How the adapter reached a member.</summary>
public enum EndpointSource
{
    /// <summary>The member could not be reached.</summary>
    None,
    /// <summary>Through a client URL the member advertises.</summary>
    Advertised,
    /// <summary>
    /// Through a configured endpoint whose Status reported this member's id, because no
    /// advertised URL answered as this member (e.g. it advertises http://127.0.0.1:2379).
    /// </summary>
    ConfiguredFallback,
}
