using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// Operator processes with --leader-elect against the test API server and a fragmented 3-member
/// cluster under a registry's writes, at the default pause between members and the default lease
/// timings; every line each replica logs is kept with when it was seen and by whom.
/// </summary>
internal sealed class ElectedReplicas : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopWriting;
    private readonly Task _writing;
    private readonly string[] _arguments;

    private ElectedReplicas(EtcdTestCluster cluster, OperatorFixture kube, string kubeconfig, CancellationTokenSource stopWriting, Task writing)
    {
        Cluster = cluster;
        Kube = kube;
        Kubeconfig = kubeconfig;
        _stopWriting = stopWriting;
        _writing = writing;
        _arguments = ["operator", "--kubeconfig", kubeconfig, "--tenancy-config", kube.TenancyConfig(), "--leader-elect", "--leader-election-namespace", OperatorFixture.Ns,
            "--metrics-bind-address", "0"];
    }

    public EtcdTestCluster Cluster { get; }

    public OperatorFixture Kube { get; }

    public string Kubeconfig { get; }

    /// <summary>Every line a replica logged: when it was seen, which replica, the line.</summary>
    public ConcurrentQueue<(DateTime At, string Who, string Line)> Seen { get; } = new();

    /// <summary>The cluster, fragmented, a registry writing to it, and the policy <paramref name="policy"/> applied for it.</summary>
    public static async Task<ElectedReplicas> StartAsync(string policy)
    {
        var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        var kube = await OperatorFixture.StartAsync();
        await EtcdData.FragmentAsync(cluster.CreateClient());
        // Registries keep writing; etcd shows the pages a compaction freed only after later writes.
        var stop = new CancellationTokenSource();
        var writing = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions
        {
            Services = 2, NodesPerService = 2, Writers = 1, ReRegisterInterval = TimeSpan.FromMilliseconds(50), Prefix = "/live/",
        }).RunAsync(stop.Token);
        kube.ApplyPolicy(policy, cluster.ClientUrls, JsonNode.Parse("""
            { "compaction": { "mode": "Revision", "retainRevisions": 10 },
              "defragmentation": { "rule": { "minFragmentationRatio": 0.2, "minDbSizeBytes": "1Mi", "minReclaimableBytes": "512Ki" } } }
            """)!.AsObject());
        return new ElectedReplicas(cluster, kube, kube.WriteKubeconfig(), stop, writing);
    }

    /// <summary>Starts a replica named <paramref name="who"/> in <see cref="Seen"/>, serving its probes on <paramref name="probePort"/> if given.</summary>
    public CliProcess Start(string who, int? probePort = null)
    {
        var process = CliProcess.Start([.. _arguments, "--health-probe-bind-address", probePort is { } port ? $"127.0.0.1:{port}" : "0"]);
        process.LineWritten += line => Seen.Enqueue((DateTime.UtcNow, who, line));
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopWriting.CancelAsync();
        await _writing;
        _stopWriting.Dispose();
        File.Delete(Kubeconfig);
        await Kube.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}
