using System.Runtime.InteropServices;

namespace EtcdHygiene.Operator.Standalone;

/// <summary>
/// Turns SIGINT (Ctrl-C) and SIGTERM into a cancellation token instead of an exit, so the runner
/// stops between steps — never in the middle of a defragmentation.
/// </summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<PosixSignalRegistration> _registrations = [];

    /// <summary>Starts listening.</summary>
    public ShutdownSignal()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                _stopping.Cancel();
            }));
        }
    }

    /// <summary>Cancelled on the first signal.</summary>
    public CancellationToken Token => _stopping.Token;

    /// <inheritdoc />
    public void Dispose()
    {
        _registrations.ForEach(r => r.Dispose());
        _stopping.Dispose();
    }
}
