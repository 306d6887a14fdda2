namespace EtcdHygiene.Testing.Workloads;

/// <summary>How a simulated node re-registers.</summary>
public enum WriterBehaviour
{
    /// <summary>The same bytes every time: still a new revision each time.</summary>
    Identical,
    /// <summary>Two subscribers swap places every time: new bytes, same meaning (the incident).</summary>
    ReorderOnly,
    /// <summary>The content really changes (a load figure).</summary>
    Changing,
}
