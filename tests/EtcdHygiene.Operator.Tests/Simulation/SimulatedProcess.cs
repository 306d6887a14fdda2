using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Metrics;
using EtcdHygiene.Operator.Supervision;
using EtcdHygiene.Operator.Supervision.Lanes;
using EtcdHygiene.Testing.Simulation;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// One incarnation of an etcd-hygiene process in the explorer: the real lanes (with the cluster
/// lock over the simulated cluster) and, per policy, the real runner, supervisor, status poll, cycle
/// and planner, each policy with its own connection.
/// </summary>
internal sealed class SimulatedProcess
{
    /// <summary>How long a dead process's lock keys live (<c>ClusterLock.DefaultTtl</c>).</summary>
    private static readonly TimeSpan LeaseTtl = EtcdHygiene.Etcd.Locking.ClusterLock.DefaultTtl;

    private readonly SimulatedEtcdCluster _cluster;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<SimulatedConnection> _connections = [];
    private readonly List<Task> _runners = [];

    public SimulatedProcess(string name, SimulatedEtcdCluster cluster, TimeProvider time, HygieneMetrics metrics, EtcdClientPool pool, ILoggerFactory logging,
        IReadOnlyList<HygienePolicy> policies, IReadOnlyDictionary<PolicyKey, Disk> disks, Action<string, SupervisedCycle> cycleEnded, Action<string> connected)
    {
        Name = name;
        _cluster = cluster;
        var lanes = new ClusterLanes(pool, time, logging, name, locks: (_, prefix, identity) => new SimulatedClusterLock(cluster, prefix, identity));
        foreach (var policy in policies)
        {
            var actor = ActorOf(name, policy.Key.Name);
            var supervisor = new PolicySupervisor(policy.Key, time, logging, metrics, pool, lanes, options =>
            {
                connected(actor);
                var connection = cluster.Connect(actor, options);
                _connections.Add(connection);
                return connection;
            });
            var runner = new PolicyRunner(supervisor, time, logging.CreateLogger<PolicyRunner>());
            var frontEnd = new SimulatedFrontEnd(policy, disks[policy.Key], () => Killed);
            _runners.Add(runner.RunAsync(policy, frontEnd, once: false, _stop.Token, afterCycle: cycle => cycleEnded(actor, cycle)));
        }
    }

    /// <summary>The process's name: also its lock identity, and the actor prefix the cluster records.</summary>
    public string Name { get; }

    /// <summary>True once killed.</summary>
    public bool Killed { get; private set; }

    /// <summary>The runners' tasks: one that fails other than by the kill is a crash.</summary>
    public IReadOnlyList<Task> Runners => _runners;

    /// <summary>The name the cluster records for a policy of a process.</summary>
    public static string ActorOf(string process, string policy) => $"{process}/{policy}";

    /// <summary>SIGKILL: nothing more reaches the cluster; the lock keys live until their lease ends.</summary>
    public void Kill()
    {
        Killed = true;
        foreach (var connection in _connections)
        {
            connection.Kill();
        }
        _stop.Cancel();
        _cluster.LeasesOrphaned(Name, LeaseTtl);
    }
}
