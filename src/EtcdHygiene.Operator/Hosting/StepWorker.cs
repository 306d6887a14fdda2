using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Hosting;

/// <summary>
/// A background service whose work is made of steps that must not be cut in half (a
/// defragmentation above all). On stop it starts no new step and waits for the one in flight — up
/// to the host's shutdown timeout, which <c>--shutdown-grace-period</c> sets — and says so when the
/// process has to exit without it.
/// </summary>
public abstract class StepWorker(ExitCode exit, ILogger logger, HostSettings settings) : BackgroundService
{
    /// <summary>The process' exit code, for the work to record its failures in.</summary>
    protected ExitCode Exit { get; } = exit;

    /// <summary>The worker's logger.</summary>
    protected ILogger Logger { get; } = logger;

    /// <summary>The work; an exception it lets out is logged and fails the process, never a stack trace on the console.</summary>
    protected abstract Task RunAsync(CancellationToken stopping);

    /// <inheritdoc />
    protected sealed override async Task ExecuteAsync(CancellationToken stopping)
    {
        try
        {
            await RunAsync(stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Logger.LogCritical(e, "Stopped unexpectedly: {Error}", e.Message);
            Exit.Fail();
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (ExecuteTask is { IsCompleted: false })
        {
            Logger.LogInformation("Stopping: no new step starts; waiting up to {Grace} for the one in flight",
                Core.Policy.GoDuration.Format(settings.ShutdownGracePeriod));
        }
        await base.StopAsync(cancellationToken);
        if (ExecuteTask is { IsCompleted: false })
        {
            Logger.LogWarning("A step was still running after the grace period; exiting anyway");
            Exit.Fail();
        }
    }
}
