using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Observation;
using EtcdHygiene.Etcd;

namespace EtcdHygiene.Testing.Simulation;

/// <summary>
/// One actor's connection to a <see cref="SimulatedEtcdCluster"/>, as <c>EtcdClusterConnection</c>
/// is to a real one: every request bounded by its timeout (a hung member answers nothing, and a
/// defragmentation longer than its timeout goes on on the member after the caller gave up), errors
/// as <see cref="EtcdOperationException"/> with etcd's kinds. A connection can be cut (its process
/// was killed): every request after that throws <see cref="ProcessKilledException"/>.
/// </summary>
public sealed class SimulatedConnection : IClusterConnection
{
    private readonly SimulatedEtcdCluster _cluster;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _defragTimeout;
    private readonly TimeProvider _time;

    internal SimulatedConnection(SimulatedEtcdCluster cluster, string actor, EtcdConnectionOptions options, TimeProvider time)
    {
        _cluster = cluster;
        Actor = actor;
        Options = options;
        _requestTimeout = options.RequestTimeout;
        _defragTimeout = options.DefragTimeout;
        _time = time;
    }

    /// <inheritdoc />
    public EtcdConnectionOptions Options { get; }

    /// <summary>Who the cluster records as the requester.</summary>
    public string Actor { get; }

    /// <summary>The quota the policy states, reported as the member's when set.</summary>
    public long? PolicyQuota { get; init; }

    /// <summary>True once the process behind this connection was killed.</summary>
    public bool Killed { get; private set; }

    /// <summary>
    /// Cuts the connection: the process behind it is gone, and etcd drops the requests it left
    /// waiting (the connection closed); work a member started for it (a defragmentation) goes on.
    /// </summary>
    public void Kill()
    {
        Killed = true;
        foreach (var operation in _waiting)
        {
            operation.Error ??= "the process that sent it was killed";
            operation.End(_cluster.Now);
        }
        _waiting.Clear();
    }

    private readonly HashSet<SimulatedOperation> _waiting = [];

    /// <inheritdoc />
    public async Task<ClusterSnapshot> ObserveAsync(CancellationToken cancellationToken)
    {
        Alive();
        // Members are asked side by side: one that does not answer costs one request timeout.
        if (_cluster.SlowToObserve)
        {
            await Task.Delay(_requestTimeout, _time, cancellationToken);
            Alive();
        }
        return _cluster.Snapshot(PolicyQuota);
    }

    /// <inheritdoc />
    public async Task<ClusterProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        Alive();
        if (_cluster.Members.Any(m => m.State == SimulatedMemberState.Hung))
        {
            await Task.Delay(_requestTimeout, _time, cancellationToken);
            Alive();
        }
        return _cluster.Probe();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <inheritdoc />
    public async Task CompactAsync(long revision, CancellationToken cancellationToken)
    {
        Alive();
        var operation = _cluster.Begin(SimulatedOperationKind.Compact, Actor, revision: revision);
        try
        {
            if (_cluster.LeaderId == 0)
            {
                await Unanswered(operation, "Compact", EtcdErrorKind.TimedOut, _defragTimeout, "etcdserver: request timed out (no leader)");
            }
            _cluster.Compact(revision);
            operation.Applied = true;
        }
        catch (EtcdOperationException e)
        {
            operation.Error = e.Message;
            throw;
        }
        finally
        {
            operation.End(_cluster.Now);
        }
    }

    /// <inheritdoc />
    public async Task DefragmentAsync(ulong memberId, CancellationToken cancellationToken)
    {
        Alive();
        var operation = _cluster.Begin(SimulatedOperationKind.Defragment, Actor, member: memberId);
        var member = Member(memberId, "Defragment", operation);
        if (member.State == SimulatedMemberState.Hung)
        {
            // What the real adapter reports for a SIGSTOPped member (the conformance suite): unreachable, after the timeout.
            await Unanswered(operation, "Defragment", EtcdErrorKind.Unreachable, _defragTimeout, "context deadline exceeded");
        }
        var took = _cluster.DefragmentationTime(member);
        var stops = member.Stops;
        member.DefragmentingUntil = _cluster.Now + took;
        _cluster.DefragmentationStarted?.Invoke(memberId, took);
        if (took > _defragTimeout)
        {
            // The member goes on to the end; the caller has given up.
            operation.End(_cluster.Now + took);
            _ = FinishLaterAsync(operation, member, took, stops);
            await Unanswered(operation, "Defragment", EtcdErrorKind.TimedOut, _defragTimeout, "context deadline exceeded", ended: false);
        }
        await Task.Delay(took, _time, CancellationToken.None);
        if (member.Stops != stops)
        {
            // Stopped meanwhile: the defragmentation ended with the process, the connection with it.
            Alive();
            Fail(operation, EtcdErrorKind.Unreachable, "Defragment", "connection reset: the member stopped while defragmenting");
        }
        _cluster.FinishDefragmentation(member);
        operation.Applied = true;
        operation.End(_cluster.Now);
        Alive();
    }

    private async Task FinishLaterAsync(SimulatedOperation operation, SimulatedMember member, TimeSpan took, int stops)
    {
        await Task.Delay(took, _time, CancellationToken.None);
        if (member.Stops == stops)
        {
            _cluster.FinishDefragmentation(member);
            operation.Applied = true;
        }
    }

    /// <inheritdoc />
    public async Task MoveLeaderAsync(ulong targetMemberId, CancellationToken cancellationToken)
    {
        Alive();
        var operation = _cluster.Begin(SimulatedOperationKind.MoveLeader, Actor, member: targetMemberId);
        var target = Member(targetMemberId, "MoveLeader", operation);
        if (target.IsLearner)
        {
            Fail(operation, EtcdErrorKind.InvalidTarget, "MoveLeader", $"member {targetMemberId:x} is a learner");
        }
        if (_cluster.LeaderId == 0)
        {
            Fail(operation, EtcdErrorKind.NoLeader, "MoveLeader", "no reachable member is leader");
        }
        if (target.State == SimulatedMemberState.Hung)
        {
            await Unanswered(operation, "MoveLeader", EtcdErrorKind.TimedOut, _requestTimeout, "etcdserver: request timed out, leader transfer took too long");
        }
        _cluster.MoveLeader(targetMemberId);
        operation.Applied = true;
        operation.End(_cluster.Now);
    }

    /// <inheritdoc />
    public async Task DisarmNoSpaceAsync(ulong memberId, CancellationToken cancellationToken)
    {
        Alive();
        var operation = _cluster.Begin(SimulatedOperationKind.DisarmNoSpace, Actor, member: memberId);
        if (_cluster.LeaderId == 0)
        {
            await Unanswered(operation, "AlarmDisarm", EtcdErrorKind.TimedOut, _requestTimeout, "etcdserver: request timed out (no leader)");
        }
        _cluster.DisarmNoSpace(memberId);
        operation.Applied = true;
        operation.End(_cluster.Now);
    }

    private SimulatedMember Member(ulong id, string what, SimulatedOperation operation)
    {
        var member = _cluster.Find(id);
        if (member is null)
        {
            Fail(operation, EtcdErrorKind.InvalidTarget, what, $"member {id:x} is not in the cluster");
        }
        if (member!.State == SimulatedMemberState.Stopped)
        {
            Fail(operation, EtcdErrorKind.Unreachable, what, "connection refused");
        }
        return member;
    }

    private void Fail(SimulatedOperation operation, EtcdErrorKind kind, string what, string detail)
    {
        operation.Error = detail;
        operation.End(_cluster.Now);
        throw new EtcdOperationException(kind, what, null, detail);
    }

    private async Task Unanswered(SimulatedOperation operation, string what, EtcdErrorKind kind, TimeSpan timeout, string detail, bool ended = true)
    {
        if (ended)
        {
            _waiting.Add(operation);
        }
        await Task.Delay(timeout, _time, CancellationToken.None);
        _waiting.Remove(operation);
        Alive();
        operation.Error = detail;
        if (ended)
        {
            operation.End(_cluster.Now);
        }
        throw new EtcdOperationException(kind, what, null, detail);
    }

    private void Alive()
    {
        _cluster.Touch(Actor);
        if (Killed)
        {
            throw new ProcessKilledException(Actor);
        }
    }
}

/// <summary>The process behind a simulated connection was killed: nothing it does reaches the cluster any more.</summary>
public sealed class ProcessKilledException(string actor) : Exception($"{actor} was killed");

/// <summary>
/// Something asks the simulated cluster again and again without time passing: it would spin on a
/// real machine. An <see cref="OperationCanceledException"/>, so that no retry loop swallows it.
/// </summary>
public sealed class SimulationLivelockException(string message) : OperationCanceledException(message);
