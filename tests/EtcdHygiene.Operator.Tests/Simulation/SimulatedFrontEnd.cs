using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Supervision;
using EtcdHygiene.Testing.Simulation;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// A policy's front end in the explorer: its kept state lives on a <see cref="Disk"/> that outlives
/// the process (as a state file or the RegistryPolicy's status does), and nothing is saved once
/// the process is killed. Its connection carries the credentials Secret's password, which nothing
/// the tool says may contain (rule 6).
/// </summary>
internal sealed class SimulatedFrontEnd(HygienePolicy policy, Disk disk, Func<bool> killed) : IPolicyFrontEnd, IPolicyStateStore, IFindingsAnnouncer
{
    private readonly EtcdConnectionOptions _options = new()
    {
        Endpoints = policy.Etcd.Endpoints,
        RequestTimeout = policy.Etcd.RequestTimeout,
        DefragTimeout = policy.Etcd.DefragTimeout,
        // What the policy's credentialsSecretRef names, as the operator's SecretReader hands it over.
        Credentials = new EtcdCredentials("registry-maintainer", SecretWatch.Password),
    };

    public Task<CycleInputs?> PrepareAsync(CancellationToken cancellationToken) =>
        Task.FromResult<CycleInputs?>(new CycleInputs(_options, this, this));

    public TimeSpan? RetryAfter(Exception error, int failures) => error is ProcessKilledException ? null : PolicyRunner.NotReadyRetry;

    public Task<HygieneState> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(disk.State);

    public Task SaveAsync(HygieneState state)
    {
        if (killed())
        {
            throw new ProcessKilledException(policy.Key.ToString());
        }
        disk.State = state;
        return Task.CompletedTask;
    }

    public Task BeforeNoSpaceCompactionAsync(HygienePolicy hygienePolicy, ChurnFindings findings) => Task.CompletedTask;

    public Task CycleFinishedAsync(HygienePolicy hygienePolicy, CycleResult result, ChurnFindings findings) => Task.CompletedTask;
}

/// <summary>Where a policy's kept state survives its process.</summary>
internal sealed class Disk
{
    public HygieneState State { get; set; } = new();
}
