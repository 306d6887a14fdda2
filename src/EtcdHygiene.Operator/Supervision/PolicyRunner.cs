using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Policy;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>
/// Runs one policy's cycles on a task of its own: a cycle, then the status poll until the next is
/// due or hurried, then the next. <c>run</c> runs it in the foreground; the operator's reconcile starts it
/// (<see cref="EnsureAsync"/>), replaces it when the spec changes, and stops it when the policy is
/// deleted or becomes invalid, and returns at once: a work-queue worker never waits through a
/// maintenance, so an emergency on one cluster never waits for another's. Stopping takes effect
/// before the next step; a step in flight (a defragmentation) is waited for, never abandoned, and
/// recorded by its cycle.
/// </summary>
public sealed class PolicyRunner(PolicySupervisor supervisor, TimeProvider time, ILogger logger, Action<SupervisedCycle>? afterEachCycle = null) : IAsyncDisposable
{
    /// <summary>How soon to try again when the front end could not prepare a cycle (a Secret missing).</summary>
    public static readonly TimeSpan NotReadyRetry = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private long _version = -1;

    /// <summary>The runtime this runner drives.</summary>
    public PolicySupervisor Supervisor => supervisor;

    /// <summary>True while a background loop runs.</summary>
    public bool IsRunning => _loop is { IsCompleted: false };

    /// <summary>
    /// Cycles of <paramref name="policy"/> until <paramref name="stopping"/>, or one with
    /// <paramref name="once"/>; <paramref name="afterCycle"/> hears each. Returns the last cycle.
    /// </summary>
    public async Task<SupervisedCycle?> RunAsync(HygienePolicy policy, IPolicyFrontEnd frontEnd, bool once, CancellationToken stopping,
        Action<SupervisedCycle>? afterCycle = null)
    {
        SupervisedCycle? last = null;
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var inputs = await frontEnd.PrepareAsync(stopping);
                if (inputs is null)
                {
                    wait = NotReadyRetry;
                }
                else
                {
                    last = await supervisor.RunCycleAsync(policy, inputs.Connection, inputs.Store, inputs.Announcer, stopping);
                    failures = 0;
                    afterCycle?.Invoke(last);
                    afterEachCycle?.Invoke(last);
                    if (once)
                    {
                        break;
                    }
                    await supervisor.PollUntilDueAsync(policy, last.NextCycleIn, stopping);
                    continue;
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (StateTakenOverException e)
            {
                logger.LogWarning("Policy {Policy}: {Error}", policy.Key, e.Message);
                break;
            }
            catch (Exception e) when (frontEnd.RetryAfter(e, failures + 1) is { } retry)
            {
                failures++;
                wait = retry;
                logger.LogWarning("Policy {Policy}: the cycle failed ({Failures} in a row): {Error}; trying again in {Wait}",
                    policy.Key, failures, e.Message, GoDuration.Format(retry));
            }
            if (once)
            {
                break;
            }
            try
            {
                await Task.Delay(wait, time, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return last;
    }

    /// <summary>
    /// Runs <paramref name="policy"/> in the background, as of <paramref name="version"/> (the
    /// object's generation): nothing changes when that version already runs; otherwise the loop
    /// running an older one stops before its next step, and the new one starts.
    /// </summary>
    public async Task EnsureAsync(long version, HygienePolicy policy, IPolicyFrontEnd frontEnd)
    {
        await _gate.WaitAsync();
        try
        {
            if (IsRunning && version == _version)
            {
                return;
            }
            await StopLoopAsync();
            _version = version;
            _stop = new CancellationTokenSource();
            var token = _stop.Token;
            _loop = Task.Run(() => RunAsync(policy, frontEnd, once: false, token));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the background loop: before the next step, after the one in flight.</summary>
    public async Task StopAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await StopLoopAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StopLoopAsync()
    {
        if (_stop is null)
        {
            return;
        }
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("A policy's loop ended with an error: {Error}", e.Message);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
        _stop = null;
        _loop = null;
        _version = -1;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await supervisor.DisposeAsync();
    }
}
