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
/// <c>run</c>'s front end: one <see cref="PolicySupervisor"/> per policy file, its state in a state
/// file, its findings in log lines, watching between cycles as the supervisor says. With
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
        await using var supervisor = new PolicySupervisor(policy.Key, time, logging, metrics, clients, lanes);
        var store = new StateFileStore(_files, policy.Key);
        var announcer = new LogAnnouncer(Logger);
        var options = source.Connection;
        Logger.LogInformation("Policy {Policy}: watching {Endpoints} every {Interval}{DryRun}",
            policy.Key, string.Join(",", policy.Etcd.Endpoints), GoDuration.Format(policy.Compaction.Interval), policy.DryRun ? " (dry run)" : "");
        var outcome = Outcome.Healthy;
        var first = true;
        while (!stopping.IsCancellationRequested)
        {
            options = Reread(source, options);
            SupervisedCycle cycle;
            try
            {
                cycle = await supervisor.RunCycleAsync(policy, options, store, announcer, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            if (first)
            {
                first = false;
                Interlocked.Decrement(ref _pending);
            }
            var result = cycle.Result;
            outcome = !policy.DryRun && !policy.Suspend && result.Final.Alarms.Count > 0 ? Outcome.AlarmStays
                : result.Succeeded ? Outcome.Healthy
                : Outcome.Failed;
            if (run.Once)
            {
                break;
            }
            try
            {
                await supervisor.WatchUntilDueAsync(policy, cycle.NextCycleIn, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        Logger.LogInformation("Policy {Policy}: stopped", policy.Key);
        return outcome;
    }

    /// <summary>
    /// The Secret files as they are now, so that a rotated certificate or password is used from the
    /// next cycle on. Files caught half-written or removed keep the last good material (logged):
    /// a rotation in progress must not stop the hygiene of a cluster that still accepts the old one.
    /// </summary>
    private EtcdConnectionOptions Reread(PolicySource source, EtcdConnectionOptions current)
    {
        if (source.SecretsDirectory is null)
        {
            return current;
        }
        try
        {
            var fresh = source.ReadConnection();
            if (!fresh.ConnectsLike(current))
            {
                Logger.LogInformation("Policy {Policy}: the Secret files under {Directory} changed: connecting with them from now on", source.Policy.Key, source.SecretsDirectory);
            }
            return fresh;
        }
        catch (PolicyFileException e)
        {
            Logger.LogWarning("Policy {Policy}: {Problem}; keeping the Secrets read before", source.Policy.Key, e.Message);
            return current;
        }
    }
}
