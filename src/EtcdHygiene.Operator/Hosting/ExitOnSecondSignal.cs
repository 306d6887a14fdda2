using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace EtcdHygiene.Operator.Hosting;

/// <summary>
/// The host's lifetime turns the first SIGTERM or Ctrl-C into a graceful stop that waits for the
/// step in flight; it has no answer to a second one, which a person sends because they do not
/// want to wait. Once stopping, a second signal exits at once (128 + the signal, as a shell would).
/// </summary>
public sealed class ExitOnSecondSignal(IHostApplicationLifetime lifetime) : IHostedService, IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private CancellationTokenRegistration _armed;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _armed = lifetime.ApplicationStopping.Register(() =>
        {
            lock (_registrations)
            {
                _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => ExitNow(143)));
                _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => ExitNow(130)));
            }
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public void Dispose()
    {
        _armed.Dispose();
        lock (_registrations)
        {
            _registrations.ForEach(r => r.Dispose());
            _registrations.Clear();
        }
    }

    private static void ExitNow(int code)
    {
        // Straight to stderr: the logger's queue would not be flushed before the exit.
        Console.Error.WriteLine("Second stop signal: exiting at once, without waiting for the step in flight");
        Environment.Exit(code);
    }
}
