using Microsoft.Extensions.Hosting;

namespace EtcdHygiene.Operator.Hosting;

/// <summary>
/// Gives memory the process no longer uses back to the system, a while after start and then
/// every few minutes: an aggressive full collection, which decommits the free space the GC
/// otherwise keeps for allocations to come. The process idles between cycles, and most of what it
/// ever allocates comes at start (policies read, connections opened, the first cycles); without
/// this, a service on every etcd VM would hold those megabytes for ever (bench/results/startup.md).
/// A collection of the few MiB an idle process holds takes milliseconds.
/// </summary>
public sealed class IdleMemoryTrim(TimeProvider time) : BackgroundService
{
    /// <summary>When the first trim comes: after the first cycles of a typical start.</summary>
    public static readonly TimeSpan AfterStart = TimeSpan.FromSeconds(10);

    /// <summary>How often it comes again.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(2);

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => RunAsync(time, stoppingToken);

    /// <summary>The trims, until <paramref name="stoppingToken"/> is cancelled; the first wait is set before this returns.</summary>
    public static async Task RunAsync(TimeProvider time, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(AfterStart, time, stoppingToken);
            while (true)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                await Task.Delay(Every, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
