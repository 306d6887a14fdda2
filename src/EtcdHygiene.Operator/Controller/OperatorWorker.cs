using EtcdHygiene.Operator.Hosting;
using EtcdHygiene.Operator.Supervision;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// The operator's front end in the host: runs the <see cref="ElectedController"/> (leader election and
/// the controller) until the host stops, or stops the host when it ends on its own (the controller
/// crashed, the election failed) so that the pod restarts clean. A lost Lease is not such an end:
/// the replica stands for it again.
/// </summary>
public sealed class OperatorWorker(ElectedController controller, HostSettings host, ExitCode exit, ILoggerFactory logging, IHostApplicationLifetime lifetime)
    : StepWorker(exit, logging.CreateLogger(LogCategory.Operator), host)
{
    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            if (await controller.RunAsync(stopping) is not 0 and var code)
            {
                Exit.Fail(code);
            }
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
