namespace EtcdHygiene.Etcd;

/// <summary>A client rented from <see cref="EtcdClientPool"/>; disposing it gives it back (once, however often it is called).</summary>
/// <typeparam name="T">The client.</typeparam>
public sealed class Rented<T>(T value, Action giveBack) : IDisposable
{
    private Action? _giveBack = giveBack;

    /// <summary>The client; valid until this is disposed.</summary>
    public T Value { get; } = value;

    /// <inheritdoc />
    public void Dispose() => Interlocked.Exchange(ref _giveBack, null)?.Invoke();
}
