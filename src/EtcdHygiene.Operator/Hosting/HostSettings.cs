namespace EtcdHygiene.Operator.Hosting;

/// <summary>What <c>run</c> and <c>operator</c> share about their process, bound from the command line.</summary>
public sealed record HostSettings
{
    /// <summary>text or json.</summary>
    public string LogFormat { get; init; } = LoggingSetup.Text;

    /// <summary>How long a stop waits for the step in flight (a defragmentation, say) before the process exits anyway.</summary>
    public TimeSpan ShutdownGracePeriod { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Where /metrics is served; null for nowhere.</summary>
    public ListenAddress? Metrics { get; init; }

    /// <summary>Where /healthz and /readyz are served; null for nowhere.</summary>
    public ListenAddress? Probes { get; init; }
}
