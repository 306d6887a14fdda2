namespace EtcdHygiene.Testing.Workloads;

/// <summary>Counters of a running workload, safe to read while it runs.</summary>
public sealed class RegistryWorkloadStats
{
    private long _written;
    private long _refusedNoSpace;
    private long _failed;
    private long _bytesWritten;

    /// <summary>Registrations etcd accepted.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Registrations refused with "database space exceeded".</summary>
    public long RefusedNoSpace => Interlocked.Read(ref _refusedNoSpace);

    /// <summary>Registrations that failed otherwise (timeouts, unavailable).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Value bytes etcd accepted: the history the registry creates.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>When the last registration was refused for NOSPACE.</summary>
    public DateTimeOffset? LastRefusal { get; private set; }

    internal void RecordWrite(int bytes)
    {
        Interlocked.Increment(ref _written);
        Interlocked.Add(ref _bytesWritten, bytes);
    }

    internal void RecordNoSpace()
    {
        Interlocked.Increment(ref _refusedNoSpace);
        LastRefusal = DateTimeOffset.UtcNow;
    }

    internal void RecordFailure() => Interlocked.Increment(ref _failed);
}
