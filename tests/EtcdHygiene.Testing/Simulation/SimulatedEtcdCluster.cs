using EtcdHygiene.Core.Observation;
using EtcdHygiene.Etcd;

namespace EtcdHygiene.Testing.Simulation;

/// <summary>
/// An etcd cluster in memory, for the schedule explorer: members that stop, hang and restart, a
/// leader and quorum, a revision and compaction, each member's file and in-use size (compaction
/// frees pages that show only after the next commit; defragmentation blocks its member for a time
/// that grows with the file, then shrinks it), the quota and its NOSPACE alarm, CORRUPT, learners,
/// the cluster id, and the cluster lock's keys. Its clock is the one it is given. What it answers is
/// held to real etcd's answers by the conformance suite (<c>SimulationConformanceTests</c>).
///
/// The data is modelled as a registry, not as keys: live bytes, and bursts of rewrites whose old
/// versions are history until compacted. Every mutating request is recorded with the cluster's own
/// state when it arrived (<see cref="Operations"/>), for the explorer's invariants.
/// </summary>
public sealed class SimulatedEtcdCluster
{
    private const long PageBytes = 4096;
    private readonly TimeProvider _time;
    private readonly List<SimulatedMember> _members = [];
    private readonly List<ActiveAlarm> _alarms = [];
    private readonly List<(long LastRevision, long Bytes)> _history = [];
    private readonly List<SimulatedOperation> _operations = [];
    private readonly List<(TimeSpan At, long Revision, int Generation)> _revisions = [];
    private readonly Dictionary<string, List<LockEntry>> _locks = [];
    private long _liveBytes;
    private int _generation;

    /// <summary>Starts a cluster as <paramref name="options"/> describe, on <paramref name="time"/>.</summary>
    public SimulatedEtcdCluster(SimulatedClusterOptions options, TimeProvider time)
    {
        Options = options;
        _time = time;
        _started = time.GetTimestamp();
        Create();
    }

    /// <summary>How the cluster was started.</summary>
    public SimulatedClusterOptions Options { get; }

    /// <summary>The cluster's id (changes when it is recreated).</summary>
    public ulong ClusterId { get; private set; }

    /// <summary>The current revision.</summary>
    public long Revision { get; private set; }

    /// <summary>The revision history is compacted up to.</summary>
    public long CompactRevision { get; private set; }

    /// <summary>The leader's id; 0 without quorum.</summary>
    public ulong LeaderId => HasQuorum && Find(_leader) is { Answers: true } ? _leader : 0;

    private ulong _leader;
    private ulong _term = 2;
    private ulong _raftIndex = 10;

    /// <summary>The members, voters first.</summary>
    public IReadOnlyList<SimulatedMember> Members => _members;

    /// <summary>The alarms raised.</summary>
    public IReadOnlyList<ActiveAlarm> Alarms => _alarms;

    /// <summary>Every mutating request, in arrival order.</summary>
    public IReadOnlyList<SimulatedOperation> Operations => _operations;

    /// <summary>True while a majority of the voters runs.</summary>
    public bool HasQuorum
    {
        get
        {
            // Counted without LINQ: the status poll asks this every two simulated seconds, in every schedule.
            int voters = 0, answering = 0;
            foreach (var m in _members)
            {
                if (!m.IsLearner)
                {
                    voters++;
                    answering += m.Answers ? 1 : 0;
                }
            }
            return answering * 2 > voters;
        }
    }

    /// <summary>True when a write would be refused: an alarm is raised or nothing leads.</summary>
    public bool RefusesWrites => _alarms.Count > 0 || LeaderId == 0;

    /// <summary>Bytes of live data plus the history not compacted yet: what a member holds in use after a commit.</summary>
    public long LogicalInUseBytes => Options.InitialFileBytes + _liveBytes + _history.Sum(h => h.Bytes);

    /// <summary>
    /// The newest revision the cluster of <paramref name="generation"/> (see <see cref="Generation"/>)
    /// had at <paramref name="at"/> (monotonic); 0 before it was created. What a retention window
    /// ending then allows to be compacted.
    /// </summary>
    public long RevisionAt(TimeSpan at, int generation) =>
        _revisions.LastOrDefault(r => r.Generation == generation && r.At <= at).Revision;

    /// <summary>How many times the cluster was recreated.</summary>
    public int Generation => _generation;

    /// <summary>When each NOSPACE alarm was raised (monotonic).</summary>
    public IReadOnlyList<TimeSpan> NoSpaceRaised => _noSpaceRaised;

    private readonly List<TimeSpan> _noSpaceRaised = [];

    /// <summary>The monotonic time, from the clock the cluster was given.</summary>
    public TimeSpan Now => _time.GetElapsedTime(_started);

    private readonly long _started;

    /// <summary>A connection for <paramref name="actor"/>, with the request and defragmentation timeouts of <paramref name="options"/>.</summary>
    public SimulatedConnection Connect(string actor, EtcdConnectionOptions options) => new(this, actor, options, _time);

    private TimeSpan _touchedAt = TimeSpan.MinValue;
    private int _touches;

    /// <summary>Counts a request; throws <see cref="SimulationLivelockException"/> past 10,000 at one instant.</summary>
    internal void Touch(string actor)
    {
        if (Now != _touchedAt)
        {
            _touchedAt = Now;
            _touches = 0;
        }
        if (++_touches > 10_000)
        {
            throw new SimulationLivelockException($"livelock: {actor} sent more than 10,000 requests at {Now} without time passing");
        }
    }

    /// <summary>The member with this id, or null.</summary>
    public SimulatedMember? Find(ulong id) => _members.FirstOrDefault(m => m.Id == id);

    // ---- The world's events -------------------------------------------------------------------

    /// <summary>
    /// A registry writes: <paramref name="newKeys"/> new keys and <paramref name="rewrites"/>
    /// rewrites of existing ones, <paramref name="valueBytes"/> each. False when etcd refused the
    /// writes (an alarm, no leader, or the quota: then NOSPACE is raised, as etcd does).
    /// </summary>
    public bool Write(int newKeys, int rewrites, long valueBytes)
    {
        if (RefusesWrites)
        {
            return false;
        }
        var entryBytes = valueBytes + 64;
        var growth = (newKeys + rewrites) * entryBytes;
        var projected = LogicalInUseBytes + growth;
        var over = _members.FirstOrDefault(m => m.State != SimulatedMemberState.Stopped && Math.Max(m.FileBytes, Grown(projected)) > Options.QuotaBackendBytes);
        if (over is not null)
        {
            _alarms.Add(new ActiveAlarm(LeaderId, AlarmKind.NoSpace));
            _noSpaceRaised.Add(Now);
            return false;
        }
        _liveBytes += newKeys * entryBytes;
        Revision += newKeys + rewrites;
        if (rewrites > 0)
        {
            _history.Add((Revision, rewrites * entryBytes));
        }
        _raftIndex += (ulong)(newKeys + rewrites);
        _revisions.Add((Now, Revision, _generation));
        CommitAll();
        return true;
    }

    private void CommitAll()
    {
        foreach (var member in _members.Where(m => m.State != SimulatedMemberState.Stopped))
        {
            Commit(member);
        }
    }

    /// <summary>
    /// Stops a member (connections refused); the others elect a new leader if it led. Stopped during
    /// a defragmentation, its defragmentation ends there, and on a version with etcd's defect
    /// (<see cref="SimulatedClusterOptions.DefragCrashLosesWrites"/>) it loses acknowledged writes.
    /// </summary>
    public void Stop(ulong id)
    {
        var member = Find(id)!;
        if (member.State != SimulatedMemberState.Stopped && member.DefragmentingUntil > Now)
        {
            member.DefragmentingUntil = Now;
            _crashes.Add(new DefragmentationCrash(Now, id, Options.DefragCrashLosesWrites));
            // A defragmentation its sender gave up on (timed out, or the sender was killed) ends here too.
            foreach (var op in _operations.Where(o => o.Kind == SimulatedOperationKind.Defragment && o.MemberId == id && (!o.HasEnded || o.Ended > Now)))
            {
                op.CutShort(Now);
            }
        }
        member.Stops++;
        Leave(id, SimulatedMemberState.Stopped);
    }

    /// <summary>Members stopped while they defragmented, and whether they lost writes.</summary>
    public IReadOnlyList<DefragmentationCrash> DefragmentationCrashes => _crashes;

    private readonly List<DefragmentationCrash> _crashes = [];

    /// <summary>Called when a member starts defragmenting (its id), for a world that crashes it then.</summary>
    public Action<ulong, TimeSpan>? DefragmentationStarted { get; set; }

    /// <summary>Hangs a running member (SIGSTOP): requests to it time out; the others elect a new leader if it led. A stopped member stays stopped.</summary>
    public void Hang(ulong id)
    {
        if (Find(id)!.State == SimulatedMemberState.Running)
        {
            Leave(id, SimulatedMemberState.Hung);
        }
    }

    private void Leave(ulong id, SimulatedMemberState state)
    {
        Find(id)!.State = state;
        if (id == _leader)
        {
            Reelect();
        }
    }

    /// <summary>Starts or resumes a member; a stopped one catches up with the log.</summary>
    public void Start(ulong id)
    {
        var member = Find(id)!;
        if (member.State == SimulatedMemberState.Stopped)
        {
            member.CompactRevision = CompactRevision;
            Commit(member);
            member.ReportedInUseBytes = member.PendingInUseBytes;
        }
        member.State = SimulatedMemberState.Running;
        if (Find(_leader) is not { State: SimulatedMemberState.Running } && _members.FirstOrDefault(m => !m.IsLearner && m.Answers) is { } next)
        {
            Elect(next.Id);
        }
    }

    /// <summary>The leader stops leading (it died, or lost an election): the first running voter leads.</summary>
    public void Reelect()
    {
        if (_members.FirstOrDefault(m => !m.IsLearner && m.Answers && m.Id != _leader) is { } next)
        {
            Elect(next.Id);
        }
    }

    /// <summary>Raises CORRUPT on a member (etcd's corruption check found a mismatch).</summary>
    public void RaiseCorrupt(ulong id)
    {
        if (!_alarms.Contains(new ActiveAlarm(id, AlarmKind.Corrupt)))
        {
            _alarms.Add(new ActiveAlarm(id, AlarmKind.Corrupt));
        }
    }

    /// <summary>Adds a learner that has caught up.</summary>
    public SimulatedMember AddLearner()
    {
        var member = NewMember(_members.Count, learner: true);
        member.FileBytes = Grown(LogicalInUseBytes);
        member.ReportedInUseBytes = member.PendingInUseBytes = LogicalInUseBytes;
        member.CompactRevision = CompactRevision;
        _members.Add(member);
        return member;
    }

    /// <summary>
    /// The cluster is destroyed and created again at the same addresses (a new id, revision 1, no
    /// data): kept state from before belongs to another cluster.
    /// </summary>
    public void Recreate()
    {
        _generation++;
        Create();
    }

    // ---- What etcd answers ----------------------------------------------------------------------

    internal ClusterSnapshot Snapshot(long? policyQuota)
    {
        var members = _members.Select(m => SnapshotOf(m, policyQuota)).ToList();
        var known = members.Any(m => m.Reachable);
        return new ClusterSnapshot
        {
            ObservedAt = _time.GetUtcNow(),
            Members = known ? members : [],
            Alarms = known ? _alarms.ToList() : [],
            AlarmsKnown = known,
            Problems = known ? [] : ["no endpoint answered MemberList"],
        };
    }

    internal ClusterProbe Probe()
    {
        IReadOnlyList<AlarmKind> alarms = _alarms.Count == 0 ? [] : _alarms.Select(a => a.Alarm).Distinct().ToList();
        return new ClusterProbe
        {
            ObservedAt = _time.GetUtcNow(),
            Members = _members.Where(m => m.Answers).Select(m => new MemberProbe(m.Id, m.FileBytes, alarms)).ToList(),
        };
    }

    private MemberSnapshot SnapshotOf(SimulatedMember member, long? policyQuota)
    {
        // Made once per cluster and member: every look of every policy asks for it.
        var url = member.Url is { } known && known.Cluster == ClusterId ? known.Text : (member.Url = (ClusterId, $"http://sim-{ClusterId:x}-{member.Name}:2379")).Value.Text;
        var snapshot = new MemberSnapshot
        {
            Id = member.Id,
            Name = member.Name,
            AdvertisedClientUrls = [url],
            IsLearner = member.IsLearner,
        };
        if (!member.Answers)
        {
            return snapshot with
            {
                EndpointNote = member.State == SimulatedMemberState.Hung ? "unreachable: TimedOut" : "unreachable: Unreachable",
                Health = MemberHealth.Unknown("unreachable"),
            };
        }
        var busy = member.DefragmentingUntil > Now;
        return snapshot with
        {
            Endpoint = url,
            EndpointSource = EndpointSource.Advertised,
            Status = new MemberStatus
            {
                Version = Options.Version,
                DbSizeBytes = member.FileBytes,
                DbSizeInUseBytes = member.ReportedInUseBytes,
                Revision = Revision,
                LeaderId = LeaderId,
                RaftIndex = _raftIndex,
                RaftTerm = _term,
                Errors = _alarms.Count == 0 ? [] : _alarms.Select(a => $"memberID:{a.MemberId:x} alarm:{(a.Alarm == AlarmKind.NoSpace ? "NOSPACE" : "CORRUPT")}").ToList(),
                ClusterId = ClusterId,
            },
            Health = busy ? MemberHealth.Unhealthy("context deadline exceeded (defragmenting)")
                : LeaderId == 0 ? MemberHealth.Unhealthy("etcdserver: no leader")
                : MemberHealth.Healthy,
            QuotaBytes = policyQuota ?? Options.QuotaBackendBytes,
            QuotaSource = policyQuota is null ? QuotaSource.Metrics : QuotaSource.Policy,
            CompactRevision = member.CompactRevision,
            FinishedCompactions = member.FinishedCompactions,
        };
    }

    internal bool SlowToObserve => _members.Any(m => m.State == SimulatedMemberState.Hung || m.DefragmentingUntil > Now);

    internal SimulatedOperation Begin(SimulatedOperationKind kind, string actor, ulong? member = null, long? revision = null)
    {
        var operation = new SimulatedOperation
        {
            Kind = kind,
            Actor = actor,
            MemberId = member,
            Revision = revision,
            Started = Now,
            Before = State(),
        };
        _operations.Add(operation);
        return operation;
    }

    /// <summary>The cluster's facts now.</summary>
    public SimulatedClusterState State() => new()
    {
        Alarms = _alarms.ToList(),
        Members = _members.Select(m => (m.Id, m.IsLearner, m.State, m.StateSince, m.FileBytes, m.DefragmentingUntil > Now)).ToList(),
        LeaderId = LeaderId,
        QuotaBytes = Options.QuotaBackendBytes,
        Revision = Revision,
        CompactRevision = CompactRevision,
        Generation = _generation,
        LockHolders = _locks.ToDictionary(l => l.Key, l => LiveHead(l.Key)?.Identity),
    };

    internal void Compact(long revision)
    {
        if (revision > Revision)
        {
            throw new EtcdOperationException(EtcdErrorKind.FutureRevision, "Compact", null, "etcdserver: mvcc: required revision is a future revision");
        }
        if (revision <= CompactRevision)
        {
            throw new EtcdOperationException(EtcdErrorKind.RevisionCompacted, "Compact", null, "etcdserver: mvcc: required revision has been compacted");
        }
        // The old versions of every burst at or before the revision go; a burst cut in two loses its share.
        for (var i = 0; i < _history.Count; i++)
        {
            var (last, bytes) = _history[i];
            var first = i == 0 ? CompactRevision : Math.Max(CompactRevision, _history[i - 1].LastRevision);
            if (last <= revision)
            {
                _history[i] = (last, 0);
            }
            else if (first < revision && last > first)
            {
                _history[i] = (last, bytes * (last - revision) / (last - first));
            }
        }
        _history.RemoveAll(h => h.Bytes == 0 && h.LastRevision <= revision);
        CompactRevision = revision;
        foreach (var member in _members.Where(m => m.State != SimulatedMemberState.Stopped))
        {
            member.CompactRevision = revision;
            member.FinishedCompactions++;
            // On etcd 3.4, freed pages show in dbSizeInUse only after a later write commits: under
            // NOSPACE, or on an idle cluster, not at all. etcd 3.5 shows them once the compaction
            // ends (both seen by the conformance suite).
            member.PendingInUseBytes = LogicalInUseBytes;
            if (!Options.Version.StartsWith("3.4", StringComparison.Ordinal))
            {
                member.ReportedInUseBytes = member.PendingInUseBytes;
            }
        }
    }

    internal TimeSpan DefragmentationTime(SimulatedMember member) =>
        TimeSpan.FromMilliseconds(Math.Max(10, member.FileBytes * 1000 / Options.DefragBytesPerSecond));

    internal void FinishDefragmentation(SimulatedMember member)
    {
        member.ReportedInUseBytes = member.PendingInUseBytes = LogicalInUseBytes;
        member.FileBytes = RoundUp(LogicalInUseBytes);
    }

    internal void MoveLeader(ulong target) => Elect(target);

    internal void DisarmNoSpace(ulong member) =>
        _alarms.RemoveAll(a => a.Alarm == AlarmKind.NoSpace && a.MemberId == member);

    // ---- The cluster lock's keys ------------------------------------------------------------------

    internal sealed class LockEntry(string identity, long id)
    {
        public string Identity { get; } = identity;
        public long Id { get; } = id;
        public TimeSpan? ExpiresAt { get; set; }
    }

    private long _lockIds;

    internal LockEntry? LiveHead(string prefix)
    {
        if (!_locks.TryGetValue(prefix, out var queue))
        {
            return null;
        }
        queue.RemoveAll(e => e.ExpiresAt is { } expiry && expiry <= Now);
        return queue.FirstOrDefault();
    }

    internal LockEntry Enqueue(string prefix, string identity)
    {
        if (!_locks.TryGetValue(prefix, out var queue))
        {
            _locks[prefix] = queue = [];
        }
        var entry = new LockEntry(identity, ++_lockIds);
        queue.Add(entry);
        // A key put like any other: a revision, and a commit.
        Revision++;
        _revisions.Add((Now, Revision, _generation));
        CommitAll();
        return entry;
    }

    internal bool IsLive(string prefix, LockEntry entry) =>
        _locks.TryGetValue(prefix, out var queue) && queue.Contains(entry) && (entry.ExpiresAt is null || entry.ExpiresAt > Now);

    internal void Remove(string prefix, LockEntry entry)
    {
        if (_locks.TryGetValue(prefix, out var queue))
        {
            queue.Remove(entry);
        }
    }

    /// <summary>A process died: its lock keys live until their leases expire, <paramref name="ttl"/> from now.</summary>
    public void LeasesOrphaned(string identity, TimeSpan ttl)
    {
        foreach (var entry in _locks.Values.SelectMany(q => q).Where(e => e.Identity == identity && e.ExpiresAt is null))
        {
            entry.ExpiresAt = Now + ttl;
        }
    }

    // ---- Internals ----------------------------------------------------------------------------------

    private void Create()
    {
        var random = new Random(_generation * 7919 + Options.Members);
        ClusterId = (ulong)random.NextInt64(1, long.MaxValue);
        Revision = 1;
        CompactRevision = 0;
        _liveBytes = 0;
        _history.Clear();
        _alarms.Clear();
        _revisions.Add((Now, 1, _generation));
        _locks.Clear();
        _members.Clear();
        for (var i = 0; i < Options.Members + Options.Learners; i++)
        {
            _members.Add(NewMember(i, learner: i >= Options.Members));
        }
        _leader = _members[0].Id;
    }

    private SimulatedMember NewMember(int index, bool learner) =>
        new(ClusterId ^ (0x9E3779B97F4A7C15UL * (ulong)(index + 1)), $"m{index}", learner, Options.InitialFileBytes) { Clock = () => Now };

    private void Elect(ulong id)
    {
        _leader = id;
        _term++;
    }

    private void Commit(SimulatedMember member)
    {
        var inUse = LogicalInUseBytes;
        member.ReportedInUseBytes = member.PendingInUseBytes = inUse;
        member.FileBytes = Math.Max(member.FileBytes, Grown(inUse));
    }

    /// <summary>
    /// The size etcd reports for <paramref name="inUse"/> bytes: bbolt's high-water page mark, not
    /// the file's length (which grows in 16 MiB allocations); freed pages are used again before it moves.
    /// </summary>
    private static long Grown(long inUse) => RoundUp(inUse);

    private static long RoundUp(long bytes) => (bytes + PageBytes - 1) / PageBytes * PageBytes;
}
