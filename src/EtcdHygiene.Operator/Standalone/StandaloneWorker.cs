using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Hosting;
using EtcdHygiene.Operator.Metrics;
using EtcdHygiene.Operator.Supervision;
using EtcdHygiene.Operator.Supervision.Lanes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Standalone;

/// <summary>
/// <c>run</c>'s front end: one <see cref="PolicyRunner"/> per policy file, its state in a state
/// file, its findings in log lines (<see cref="FileFrontEnd"/>), watching between cycles as the supervisor says. With
/// <c>--once</c>, one cycle per policy, then the process stops: exit 0 when every cycle left its
/// cluster healthy, 3 when an alarm stays active (a person must act), 1 when a cycle failed.
/// </summary>
public sealed class StandaloneWorker(RunSettings run, HostSettings host, TimeProvider time, ILoggerFactory logging, HygieneMetrics metrics, EtcdClientPool clients, ClusterLanes lanes,
    ExitCode exit, IHostApplicationLifetime lifetime) : StepWorker(exit, logging.CreateLogger(LogCategory.Run), host)
{
    private readonly StateFiles _files = new(run.StateDirectory);
    private int _pending = run.Policies.Count;

    /// <summary>True once every policy finished its first cycle (for /readyz).</summary>
    public bool Ready => Volatile.Read(ref _pending) <= 0;

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            using var directory = StateDirectoryLock.Take(run.StateDirectory);
            var outcomes = await Task.WhenAll(run.Policies.Select(p => RunPolicyAsync(p, stopping)));
            if (run.Once && outcomes.Any(o => o == Outcome.AlarmStays))
            {
                Exit.Fail(ExitCode.PersonMustAct);
            }
            else if (run.Once && outcomes.Any(o => o == Outcome.Failed))
            {
                Exit.Fail();
            }
        }
        catch (StateFileException e)
        {
            Logger.LogError("{Error}", e.Message);
            Exit.Fail();
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    private enum Outcome
    {
        Healthy,
        Failed,
        AlarmStays,
    }

    /// <summary>Cycles of one policy until stopped (or once); how the last cycle left the cluster.</summary>
    private async Task<Outcome> RunPolicyAsync(PolicySource source, CancellationToken stopping)
    {
        var policy = source.Policy;
        await using var runner = new PolicyRunner(new PolicySupervisor(policy.Key, time, logging, metrics, clients, lanes), time, Logger);
        var frontEnd = new FileFrontEnd(source, new StateFileStore(_files, policy.Key), new LogAnnouncer(Logger), Logger);
        Logger.LogInformation("Policy {Policy}: watching {Endpoints} every {Interval}{DryRun}",
            policy.Key, string.Join(",", policy.Etcd.Endpoints), GoDuration.Format(policy.Compaction.Interval), policy.DryRun ? " (dry run)" : "");
        var first = true;
        var last = await runner.RunAsync(policy, frontEnd, run.Once, stopping, _ =>
        {
            if (first)
            {
                first = false;
                Interlocked.Decrement(ref _pending);
            }
        });
        Logger.LogInformation("Policy {Policy}: stopped", policy.Key);
        return last?.Result is not { } result ? Outcome.Healthy
            : !policy.DryRun && !policy.Suspend && result.Final.Alarms.Count > 0 ? Outcome.AlarmStays
            : result.Succeeded ? Outcome.Healthy
            : Outcome.Failed;
    }
}
