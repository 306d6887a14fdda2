using EtcdHygiene.Core.Execution;
using EtcdHygiene.Testing.Simulation;

namespace EtcdHygiene.Etcd.Tests.Simulation;

/// <summary>The simulated cluster on the real clock, driven through the same verbs as real etcd.</summary>
public sealed class SimulatedTarget(int members, long quotaBytes, string version, EtcdConnectionOptions timeouts) : IConformanceTarget
{
    private readonly SimulatedEtcdCluster _cluster = new(new SimulatedClusterOptions { Members = members, QuotaBackendBytes = quotaBytes, Version = version }, TimeProvider.System);
    private SimulatedConnection? _connection;

    public IEtcdMaintenance Maintenance => _connection ??= _cluster.Connect("conformance", timeouts);

    public IReadOnlyList<ulong> MemberIds => _cluster.Members.Select(m => m.Id).ToList();

    public Task<bool> WriteAsync(int newKeys, int rewrites, int valueBytes) =>
        Task.FromResult(_cluster.Write(newKeys, rewrites, valueBytes));

    public Task StopAsync(int index)
    {
        _cluster.Stop(MemberIds[index]);
        return Task.CompletedTask;
    }

    public Task StartAsync(int index)
    {
        _cluster.Start(MemberIds[index]);
        return Task.CompletedTask;
    }

    public void Hang(int index) => _cluster.Hang(MemberIds[index]);

    public void Resume(int index) => _cluster.Start(MemberIds[index]);

    public Task WaitAsync(TimeSpan time) => Task.Delay(time);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
