using dotnet_etcd;
using Etcdserverpb;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Testing.Etcd;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdHygiene.Etcd.Tests.Simulation;

/// <summary>Real etcd processes (<see cref="EtcdTestCluster"/>) seen through the real adapter.</summary>
public sealed class RealEtcdTarget : IConformanceTarget
{
    private readonly EtcdTestCluster _cluster;
    private readonly EtcdClient _client;
    private readonly EtcdClusterConnection _connection;
    private int _keys;
    private int _next;

    private RealEtcdTarget(EtcdTestCluster cluster, EtcdClusterConnection connection, IReadOnlyList<ulong> ids)
    {
        _cluster = cluster;
        _client = cluster.CreateClient();
        _connection = connection;
        MemberIds = ids;
    }

    /// <summary>Starts a cluster and learns its member ids by name.</summary>
    public static async Task<RealEtcdTarget> StartAsync(int members, long quotaBytes, EtcdConnectionOptions timeouts)
    {
        var cluster = await EtcdTestCluster.StartAsync(new() { Members = members, QuotaBackendBytes = quotaBytes });
        var connection = new EtcdClusterConnection(timeouts with { Endpoints = cluster.ClientUrls });
        var snapshot = await connection.ObserveAsync();
        var ids = cluster.Members.Select(m => snapshot.Members.Single(s => s.Name == m.Name).Id).ToList();
        return new RealEtcdTarget(cluster, connection, ids);
    }

    public IEtcdMaintenance Maintenance => _connection;

    public IReadOnlyList<ulong> MemberIds { get; }

    public async Task<bool> WriteAsync(int newKeys, int rewrites, int valueBytes)
    {
        var value = ByteString.CopyFrom(new byte[valueBytes]);
        try
        {
            for (var i = 0; i < newKeys; i++)
            {
                await _client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"/conformance/{_keys++}"), Value = value });
            }
            for (var i = 0; i < rewrites; i++)
            {
                await _client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"/conformance/{_next++ % Math.Max(1, _keys)}"), Value = value });
            }
            return true;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
        {
            return false;
        }
    }

    public Task StopAsync(int index) => _cluster.Members[index].StopAsync();

    public async Task StartAsync(int index)
    {
        _cluster.Members[index].Start();
        await _cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));
    }

    public void Hang(int index) => _cluster.Members[index].Pause();

    public void Resume(int index) => _cluster.Members[index].Resume();

    public Task WaitAsync(TimeSpan time) => Task.Delay(time);

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _client.Dispose();
        await _cluster.DisposeAsync();
    }
}
