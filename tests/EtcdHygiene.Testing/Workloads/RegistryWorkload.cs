using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdHygiene.Testing.Workloads;

/// <summary>
/// A go-micro-like service registry writing to a real etcd: nodes register their JSON entry on a
/// lease and re-register on an interval, some with identical bytes, some reordering a JSON array
/// (the incident), some really changing. Used by tests, the demo and the benchmarks.
/// </summary>
public sealed class RegistryWorkload
{
    private readonly EtcdClient _client;
    private readonly RegistryWorkloadOptions _options;
    private readonly List<Node> _nodes;

    /// <summary>Creates the workload; nothing is written until <see cref="RunAsync"/>.</summary>
    public RegistryWorkload(EtcdClient client, RegistryWorkloadOptions options)
    {
        _client = client;
        _options = options;
        var count = options.Services * options.NodesPerService;
        _nodes = Enumerable.Range(0, count).Select(i =>
        {
            var service = $"svc{i / options.NodesPerService:00}";
            var entry = new GoMicroServiceEntry(service, $"{service}-{i % options.NodesPerService:x4}{i:x4}", $"10.1.{i / 250}.{i % 250}:{40000 + i}");
            return new Node(entry, options.BehaviourOf(i, count), options.Prefix, options.WeightOf(i / options.NodesPerService));
        }).ToList();
    }

    /// <summary>Live counters.</summary>
    public RegistryWorkloadStats Stats { get; } = new();

    /// <summary>Every simulated node's key and behaviour.</summary>
    public IReadOnlyList<(string Key, WriterBehaviour Behaviour)> Nodes => _nodes.Select(n => (n.Key, n.Behaviour)).ToList();

    /// <summary>Registers every node once, then re-registers each on the interval until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var writers = Enumerable.Range(0, _options.Writers).Select(w =>
            RunWriterAsync(_nodes.Where((_, i) => i % _options.Writers == w).ToList(), cancellationToken));
        await Task.WhenAll(writers);
    }

    /// <summary>Re-registers every node <paramref name="rounds"/> times as fast as etcd takes it.</summary>
    public async Task RunRoundsAsync(int rounds, CancellationToken cancellationToken = default)
    {
        for (var round = 0; round < rounds; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, _options.Writers).Select(async w =>
            {
                foreach (var node in _nodes.Where((_, i) => i % _options.Writers == w))
                {
                    for (var time = 0; time < node.Weight; time++)
                    {
                        await RegisterAsync(node, cancellationToken);
                    }
                }
            }));
        }
    }

    /// <summary>
    /// Re-registers as fast as etcd takes it until a write is refused with NOSPACE, as the incident
    /// did. Throws when <paramref name="maxRounds"/> rounds pass without it (a broken setup, not a slow one).
    /// </summary>
    public async Task FillUntilNoSpaceAsync(int maxRounds = 2_000, CancellationToken cancellationToken = default)
    {
        for (var round = 0; round < maxRounds && Stats.RefusedNoSpace == 0; round++)
        {
            await RunRoundsAsync(1, cancellationToken);
        }
        if (Stats.RefusedNoSpace == 0)
        {
            throw new InvalidOperationException($"etcd accepted {Stats.Written} registrations in {maxRounds} rounds without NOSPACE");
        }
    }

    private async Task RunWriterAsync(List<Node> nodes, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ReRegisterInterval);
        try
        {
            do
            {
                foreach (var node in nodes)
                {
                    for (var time = 0; time < node.Weight; time++)
                    {
                        await RegisterAsync(node, cancellationToken);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task RegisterAsync(Node node, CancellationToken cancellationToken)
    {
        try
        {
            if (node.LeaseId == 0)
            {
                node.LeaseId = (await _client.LeaseGrantAsync(new LeaseGrantRequest { TTL = _options.LeaseTtlSeconds }, cancellationToken: cancellationToken)).ID;
                node.LeaseRenewed = Environment.TickCount64;
            }
            else if (_options.KeepLeasesAlive && Environment.TickCount64 - node.LeaseRenewed > _options.LeaseTtlSeconds * 1000 / 3)
            {
                // As a registered service does: renew the lease a few times per TTL, or etcd deletes the key.
                node.LeaseId = await RenewAsync(node.LeaseId, cancellationToken) ? node.LeaseId : 0;
                node.LeaseRenewed = Environment.TickCount64;
                if (node.LeaseId == 0)
                {
                    node.LeaseId = (await _client.LeaseGrantAsync(new LeaseGrantRequest { TTL = _options.LeaseTtlSeconds }, cancellationToken: cancellationToken)).ID;
                }
            }
            var value = node.Next();
            node.Sending(value);
            DateTime? deadline = _options.WriteTimeout is { } timeout ? DateTime.UtcNow + timeout : null;
            var answer = await _client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(node.Key), Value = value, Lease = node.LeaseId }, deadline: deadline, cancellationToken: cancellationToken);
            node.Acknowledged(value, answer.Header.Revision);
            Stats.RecordWrite(value.Length);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
        {
            // NOSPACE refused this attempt, but the client may have sent the write before (its retry
            // policy resends after Unavailable, which etcd also answers for proposals it applied):
            // the write stays uncertain.
            Stats.RecordNoSpace();
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            Stats.RecordFailure();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The write's deadline passed (the client reports it as a cancellation): no answer, maybe applied.
            Stats.RecordFailure();
        }
    }

    /// <summary>One keep-alive round trip; false when etcd no longer knows the lease (it expired).</summary>
    private async Task<bool> RenewAsync(long leaseId, CancellationToken cancellationToken)
    {
        using var answered = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        answered.CancelAfter(TimeSpan.FromSeconds(10));
        long? ttl = null;
        try
        {
            await _client.LeaseKeepAlive(new LeaseKeepAliveRequest { ID = leaseId }, r =>
            {
                ttl = r.TTL;
                answered.Cancel();
            }, answered.Token);
        }
        catch (Exception) when (ttl is not null || !cancellationToken.IsCancellationRequested)
        {
            // Cancelled by the answer itself, or no answer in time: the next registration tries again.
        }
        return ttl is not { } left || left > 0;
    }

    /// <summary>
    /// Checks what etcd holds under the workload's prefix against what its writers were told, using
    /// etcd's own bookkeeping so that even identical rewrites are accounted for: every put bumps a
    /// key's version and gets its own revision. For each key, etcd must count at least as many puts
    /// as were acknowledged (none lost), its last change must not be older than the last
    /// acknowledged write (nothing stale), at that revision it must hold that value, and a change
    /// after it can only be a write that got no answer (etcd may apply one late, e.g. a proposal a
    /// paused member forwards when it resumes). No other key may exist under the prefix. Returns
    /// the problems, empty when the data is intact. Only meaningful once the workload has stopped.
    /// </summary>
    public async Task<IReadOnlyList<string>> VerifyAsync(EtcdClient client, KeyHistory? history = null)
    {
        var problems = new List<string>();
        if (history is not null)
        {
            // Exact, write by write: every acknowledged write is among etcd's puts of its key, at its
            // revision with its value; every other put is one that went unanswered.
            // A watch that was down while etcd compacted (a member killed under it) misses the puts
            // before the compaction: those writes are left to the count of versions below.
            await history.CatchUpAsync(TimeSpan.FromSeconds(60));
            foreach (var node in _nodes)
            {
                problems.AddRange(node.CheckPuts(history.PutsOf(node.Key), history.WholeFrom).Select(p => $"{node.Key}: {p}"));
            }
        }
        var prefix = ByteString.CopyFromUtf8(_options.Prefix);
        var end = prefix.ToByteArray();
        end[^1]++;
        var stored = (await client.GetAsync(new RangeRequest { Key = prefix, RangeEnd = ByteString.CopyFrom(end) }))
            .Kvs.ToDictionary(kv => kv.Key.ToStringUtf8());
        foreach (var node in _nodes)
        {
            if (node.Check(stored.GetValueOrDefault(node.Key)) is { } problem)
            {
                problems.Add($"{node.Key}: {problem}");
            }
        }
        problems.AddRange(stored.Keys.Where(key => _nodes.All(n => n.Key != key)).Select(key => $"{key}: no writer of this workload wrote it"));
        return problems;
    }

    /// <summary>
    /// Fault injection for the tests of the check itself: a write of <paramref name="key"/>'s writer
    /// that etcd applies but whose answer never arrives.
    /// </summary>
    public async Task WriteUnansweredAsync(string key)
    {
        var node = _nodes.Single(n => n.Key == key);
        var value = node.Next();
        node.Sending(value);
        await _client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = value, Lease = node.LeaseId });
    }

    /// <summary>
    /// Fault injection for the tests of the check itself: a write of <paramref name="key"/>'s writer
    /// that etcd acknowledges at a revision and then loses (here: the revision is taken by a put of another key).
    /// </summary>
    public async Task LoseAcknowledgedWriteAsync(string key)
    {
        var node = _nodes.Single(n => n.Key == key);
        var value = node.Next();
        node.Sending(value);
        var elsewhere = await _client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/elsewhere/lost-write"), Value = value });
        node.Acknowledged(value, elsewhere.Header.Revision);
    }

    /// <summary>Writes that ended without an answer (timeouts, members gone, NOSPACE after a resend): etcd may or may not hold them.</summary>
    public long Unanswered => _nodes.Sum(n => n.UnansweredCount);

    private sealed class Node(GoMicroServiceEntry entry, WriterBehaviour behaviour, string prefix, int weight)
    {
        private readonly ByteString _straight = ByteString.CopyFromUtf8(entry.Render(false));
        private readonly ByteString _swapped = ByteString.CopyFromUtf8(entry.Render(true));
        private long _registrations;
        private ByteString? _sending;
        private ByteString? _acknowledged;
        private long _acknowledgedRevision;
        private long _acknowledgedCount;
        // Every acknowledged write, for the exact check against etcd's record of puts.
        private readonly List<(long Revision, ByteString Value)> _acknowledgedWrites = [];
        // Values of the writes that got no answer (a set: writers repeat values) and how many there were.
        private readonly HashSet<string> _unanswered = [];
        private long _unansweredCount;

        public string Key { get; } = prefix + entry.Key["/micro/registry/".Length..];
        public WriterBehaviour Behaviour => behaviour;
        public int Weight => weight;
        public long LeaseId { get; set; }
        public long LeaseRenewed { get; set; }

        public long UnansweredCount
        {
            get
            {
                lock (_unanswered)
                {
                    return _unansweredCount + (_sending is null ? 0 : 1);
                }
            }
        }

        public void Sending(ByteString value)
        {
            lock (_unanswered)
            {
                // The previous write never got an answer: it may have been applied.
                if (_sending is { } unanswered)
                {
                    _unanswered.Add(unanswered.ToStringUtf8());
                    _unansweredCount++;
                }
                _sending = value;
            }
        }

        public void Acknowledged(ByteString value, long revision)
        {
            lock (_unanswered)
            {
                _acknowledged = value;
                _acknowledgedRevision = revision;
                _acknowledgedCount++;
                _acknowledgedWrites.Add((revision, value));
                _sending = null;
            }
        }

        /// <summary>What is wrong with etcd's <paramref name="puts"/> of this key (revision → value), write by write, from revision <paramref name="wholeFrom"/> on.</summary>
        public List<string> CheckPuts(IReadOnlyDictionary<long, ByteString> puts, long wholeFrom)
        {
            var problems = new List<string>();
            lock (_unanswered)
            {
                var acknowledgedAt = new HashSet<long>();
                foreach (var (revision, value) in _acknowledgedWrites)
                {
                    acknowledgedAt.Add(revision);
                    if (revision < wholeFrom)
                    {
                        continue;
                    }
                    if (!puts.TryGetValue(revision, out var put))
                    {
                        problems.Add($"lost: the write acknowledged at revision {revision} is not among etcd's {puts.Count} puts of the key");
                    }
                    else if (put != value)
                    {
                        problems.Add($"revision {revision} holds another value than the write acknowledged there");
                    }
                }
                var unanswered = new HashSet<string>(_unanswered);
                if (_sending is { } inFlight)
                {
                    unanswered.Add(inFlight.ToStringUtf8());
                }
                var others = puts.Where(p => !acknowledgedAt.Contains(p.Key)).ToList();
                foreach (var (revision, _) in others.Where(p => !unanswered.Contains(p.Value.ToStringUtf8())))
                {
                    problems.Add($"a put at revision {revision} that no write of its writer sent");
                }
                if (others.Count > UnansweredCount)
                {
                    problems.Add($"{others.Count} puts were never acknowledged, but only {UnansweredCount} writes went unanswered");
                }
            }
            return problems;
        }

        /// <summary>What is wrong with <paramref name="stored"/> (this key as etcd holds it, null when absent), or null.</summary>
        public string? Check(Mvccpb.KeyValue? stored)
        {
            lock (_unanswered)
            {
                var unanswered = new HashSet<string>(_unanswered);
                if (_sending is { } inFlight)
                {
                    unanswered.Add(inFlight.ToStringUtf8());
                }
                var acknowledged = _acknowledged?.ToStringUtf8();
                if (stored is null)
                {
                    return acknowledged is null ? null : $"gone, though {_acknowledgedCount} writes were acknowledged, the last at revision {_acknowledgedRevision}";
                }
                var value = stored.Value.ToStringUtf8();
                if (acknowledged is null)
                {
                    return unanswered.Contains(value) ? null : "holds a value no write of its writer sent";
                }
                if (stored.Version < _acknowledgedCount)
                {
                    return $"lost writes: etcd counts {stored.Version} puts since the key was created, {_acknowledgedCount} were acknowledged";
                }
                if (stored.ModRevision < _acknowledgedRevision)
                {
                    return $"stale: last changed at revision {stored.ModRevision}, before the last acknowledged write at {_acknowledgedRevision}";
                }
                if (stored.ModRevision == _acknowledgedRevision)
                {
                    return value == acknowledged ? null : $"holds another value than the write acknowledged at revision {_acknowledgedRevision}";
                }
                return unanswered.Contains(value)
                    ? null
                    : $"changed at revision {stored.ModRevision}, after the last acknowledged write at {_acknowledgedRevision}, by no write that went unanswered ({UnansweredCount} did)";
            }
        }

        public ByteString Next()
        {
            var n = _registrations++;
            return behaviour switch
            {
                WriterBehaviour.Identical => _straight,
                WriterBehaviour.ReorderOnly => n % 2 == 0 ? _straight : _swapped,
                _ => ByteString.CopyFromUtf8(entry.Render(false, load: (n % 97).ToString())),
            };
        }
    }
}
