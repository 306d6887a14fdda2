namespace EtcdHygiene.Operator.Supervision;

/// <summary>
/// A front end's side of a <see cref="PolicyRunner"/>: what each cycle needs, and what to do when
/// a cycle fails. <c>run</c> reads its Secret files, the operator its status and Secrets.
/// </summary>
public interface IPolicyFrontEnd
{
    /// <summary>
    /// What the next cycle needs, or null when it cannot run now (a Secret is missing, the policy
    /// is gone): the front end has said why, and the runner tries again after <see cref="PolicyRunner.NotReadyRetry"/>.
    /// </summary>
    Task<CycleInputs?> PrepareAsync(CancellationToken cancellationToken);

    /// <summary>How long to wait before trying again after a cycle threw <paramref name="error"/> (the <paramref name="failures"/>th in a row); null lets the error end the runner.</summary>
    TimeSpan? RetryAfter(Exception error, int failures);
}
