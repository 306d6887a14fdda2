namespace EtcdHygiene.Operator.Hosting;

/// <summary>The process' exit code, set by whichever part of the host knows it failed.</summary>
public sealed class ExitCode
{
    /// <summary>
    /// An alarm is active that nothing etcd-hygiene may do clears: a person must act. What
    /// <c>check</c> and <c>run --once</c> exit with then.
    /// </summary>
    public const int PersonMustAct = 3;

    private int _value;

    /// <summary>0 unless something failed.</summary>
    public int Value => Volatile.Read(ref _value);

    /// <summary>Records a failure; the first non-zero code stays.</summary>
    public void Fail(int code = 1) => Interlocked.CompareExchange(ref _value, code, 0);
}
