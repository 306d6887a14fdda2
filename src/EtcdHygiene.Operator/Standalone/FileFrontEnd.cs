using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Supervision;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Standalone;

/// <summary>
/// <c>run</c>'s side of a policy's <see cref="PolicyRunner"/>: the state in a state file, findings in
/// log lines, and the Secret files read again before each cycle, so that a rotated certificate or
/// password is used from the next cycle on. Files caught half-written or removed keep the last
/// good material (logged): a rotation in progress must not stop the hygiene of a cluster that still
/// accepts the old one. A cycle that throws ends the run, as it always did.
/// </summary>
public sealed class FileFrontEnd(PolicySource source, IPolicyStateStore store, IFindingsAnnouncer announcer, ILogger logger) : IPolicyFrontEnd
{
    private EtcdConnectionOptions _options = source.Connection;

    /// <inheritdoc />
    public Task<CycleInputs?> PrepareAsync(CancellationToken cancellationToken)
    {
        _options = Reread(_options);
        return Task.FromResult<CycleInputs?>(new CycleInputs(_options, store, announcer));
    }

    /// <inheritdoc />
    public TimeSpan? RetryAfter(Exception error, int failures) => null;

    private EtcdConnectionOptions Reread(EtcdConnectionOptions current)
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
                logger.LogInformation("Policy {Policy}: the Secret files under {Directory} changed: connecting with them from now on", source.Policy.Key, source.SecretsDirectory);
            }
            return fresh;
        }
        catch (PolicyFileException e)
        {
            logger.LogWarning("Policy {Policy}: {Problem}; keeping the Secrets read before", source.Policy.Key, e.Message);
            return current;
        }
    }
}
