using EtcdHygiene.Core.Execution;

namespace EtcdHygiene.Etcd.Tests.Simulation;

/// <summary>A cluster the conformance scenarios drive: real etcd or the simulation, through the same verbs.</summary>
public interface IConformanceTarget : IAsyncDisposable
{
    /// <summary>The tool's view of it (the real adapter, or the simulated connection).</summary>
    IEtcdMaintenance Maintenance { get; }

    /// <summary>The member ids, in start order.</summary>
    IReadOnlyList<ulong> MemberIds { get; }

    /// <summary>Writes <paramref name="newKeys"/> new keys, then <paramref name="rewrites"/> rewrites of them; false once etcd refuses one.</summary>
    Task<bool> WriteAsync(int newKeys, int rewrites, int valueBytes);

    /// <summary>Stops a member; its connections are refused.</summary>
    Task StopAsync(int index);

    /// <summary>Starts a stopped member again and waits until it answers.</summary>
    Task StartAsync(int index);

    /// <summary>Hangs a member (SIGSTOP).</summary>
    void Hang(int index);

    /// <summary>Resumes a hung member.</summary>
    void Resume(int index);

    /// <summary>Waits the given time (real or simulated, as the target's clock runs).</summary>
    Task WaitAsync(TimeSpan time);
}
