using System.Collections.Concurrent;
using dotnet_etcd;
using Etcdserverpb;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Observation;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Etcd;

/// <summary>
/// The etcd adapter: finds the members of one cluster, holds one client per member (maintenance
/// calls such as Defragment act on the member they reach, so load balancing would be wrong),
/// observes snapshots and performs the few maintenance RPCs hygiene needs. It never writes keys.
/// Every call is bounded by a timeout and fails with <see cref="EtcdOperationException"/>.
/// </summary>
public sealed class EtcdClusterConnection : IClusterConnection
{
    private readonly EtcdConnectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EtcdClientPool _pool;
    private readonly Rented<HttpClient> _http;
    private readonly ConcurrentDictionary<string, Lazy<Rented<EtcdClient>>> _clients = new(StringComparer.OrdinalIgnoreCase);
    private readonly IReadOnlyList<string> _configuredEndpoints;

    // Where each member was last reached; tried first next time so that a member reached through a
    // fallback does not pay for its unreachable advertised URL on every observation.
    private readonly ConcurrentDictionary<ulong, string> _memberEndpoints = new();
    private IReadOnlyList<Member> _lastMembers = [];
    private ClusterSnapshot? _lastSnapshot;

    /// <summary>
    /// Creates the adapter; nothing is contacted until the first call. Connections given the same
    /// <paramref name="pool"/> share their member clients; without one, this connection has its own.
    /// </summary>
    public EtcdClusterConnection(EtcdConnectionOptions options, TimeProvider? time = null, ILogger? logger = null, EtcdClientPool? pool = null)
    {
        if (options.Endpoints.Count == 0)
        {
            throw new ArgumentException("at least one etcd endpoint is needed", nameof(options));
        }
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _pool = pool ?? new EtcdClientPool();
        _http = _pool.Http(options);
        _configuredEndpoints = options.Endpoints.Select(NormalizeUrl).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The options this connection was made with.</summary>
    public EtcdConnectionOptions Options => _options;

    /// <summary>
    /// Observes the whole cluster: MemberList, each member's Status, a health read through each
    /// member, its quota, and the alarm list. A member that does not answer is reported
    /// unreachable with the reason; it neither throws nor delays the others beyond one timeout.
    /// </summary>
    public async Task<ClusterSnapshot> ObserveAsync(CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        var configured = await StatusOfConfiguredEndpointsAsync(cancellationToken);

        var members = await ListMembersAsync(configured, problems, cancellationToken);
        var observed = await Task.WhenAll(members.Select(m => ObserveMemberAsync(m, configured, cancellationToken)));

        var (alarms, alarmsKnown) = await ListAlarmsOrReportAsync(observed, problems, cancellationToken);
        var snapshot = new ClusterSnapshot
        {
            ObservedAt = _time.GetUtcNow(),
            Members = observed,
            Alarms = alarms,
            AlarmsKnown = alarmsKnown,
            Problems = problems,
        };
        _lastSnapshot = snapshot;
        return snapshot;
    }

    /// <summary>
    /// The watch's cheap look between cycles: one Status per member, at the endpoint the last
    /// observation reached it through (the configured endpoints before any observation). Sizes and
    /// the alarms each Status lists; members that do not answer within the request timeout are left out.
    /// </summary>
    public async Task<ClusterProbe> ProbeAsync(CancellationToken cancellationToken = default)
    {
        var endpoints = _memberEndpoints.IsEmpty ? _configuredEndpoints : _memberEndpoints.Values.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var outcomes = await Task.WhenAll(endpoints.Select(e => StatusAtAsync(e, cancellationToken)));
        cancellationToken.ThrowIfCancellationRequested();
        return new ClusterProbe
        {
            ObservedAt = _time.GetUtcNow(),
            Members = outcomes.Where(o => o.Response is not null)
                .Select(o => new MemberProbe(o.Response!.Header.MemberId, o.Response.DbSize, o.Response.Errors.Select(AlarmIn).OfType<AlarmKind>().Distinct().ToList()))
                .ToList(),
        };

        // Status lists alarms as "memberID:8211f1d0f64f3269 alarm:NOSPACE".
        static AlarmKind? AlarmIn(string error) =>
            error.Contains("alarm:NOSPACE", StringComparison.Ordinal) ? AlarmKind.NoSpace
            : error.Contains("alarm:CORRUPT", StringComparison.Ordinal) ? AlarmKind.Corrupt
            : null;
    }

    /// <summary>Lists the cluster's alarms.</summary>
    public async Task<IReadOnlyList<ActiveAlarm>> ListAlarmsAsync(CancellationToken cancellationToken = default)
    {
        var errors = new List<EtcdOperationException>();
        foreach (var endpoint in PreferredClusterEndpoints())
        {
            try
            {
                return await ListAlarmsAtAsync(endpoint, cancellationToken);
            }
            catch (EtcdOperationException e) when (e.Kind is EtcdErrorKind.Unreachable or EtcdErrorKind.TimedOut)
            {
                errors.Add(e);
            }
        }
        throw NoEndpointAnswered("AlarmList", errors);
    }

    /// <summary>
    /// Compacts the key-value history up to <paramref name="revision"/> (cluster-wide, through raft).
    /// With <paramref name="physical"/> it returns once the compaction is applied.
    /// </summary>
    public async Task CompactAsync(long revision, bool physical, CancellationToken cancellationToken = default)
    {
        var endpoint = PreferredClusterEndpoints().First();
        var timeout = physical ? _options.DefragTimeout : _options.RequestTimeout;
        await CallAsync("Compact", endpoint, timeout, (client, ct) =>
            client.CompactAsync(new CompactionRequest { Revision = revision, Physical = physical }, cancellationToken: ct), cancellationToken);
        _logger.LogInformation("Compacted history up to revision {Revision} (physical {Physical}) through {Endpoint}", revision, physical, endpoint);
    }

    /// <summary>
    /// Defragments one member. This stops the world on that member until done, so it is bounded
    /// by the defrag timeout and never sent to more than one member by this call.
    /// </summary>
    public async Task DefragmentAsync(ulong memberId, CancellationToken cancellationToken = default)
    {
        var endpoint = EndpointOf(memberId, "Defragment");
        await CallAsync("Defragment", endpoint, _options.DefragTimeout, (client, ct) =>
            client.DefragmentAsync(new DefragmentRequest(), cancellationToken: ct), cancellationToken);
        _logger.LogInformation("Defragmented member {Member} at {Endpoint}", memberId.ToString("x"), endpoint);
    }

    /// <summary>
    /// Deactivates the NOSPACE alarm of one member. There is deliberately no way to disarm CORRUPT
    /// through this adapter: a corrupt member needs a person.
    /// </summary>
    public async Task DisarmNoSpaceAsync(ulong memberId, CancellationToken cancellationToken = default)
    {
        var endpoint = PreferredClusterEndpoints().First();
        await CallAsync("AlarmDisarm", endpoint, _options.RequestTimeout, (client, ct) =>
            client.AlarmAsync(new AlarmRequest
            {
                Action = AlarmRequest.Types.AlarmAction.Deactivate,
                MemberID = memberId,
                Alarm = AlarmType.Nospace,
            }, cancellationToken: ct), cancellationToken);
        _logger.LogInformation("Disarmed NOSPACE of member {Member} through {Endpoint}", memberId.ToString("x"), endpoint);
    }

    /// <summary>
    /// Hands leadership to <paramref name="targetMemberId"/>; the request goes to the leader of the
    /// last observation (callers observe before every step). If leadership moved meanwhile, etcd
    /// answers "not leader" and the call fails with <see cref="EtcdErrorKind.NotLeader"/>.
    /// </summary>
    public async Task MoveLeaderAsync(ulong targetMemberId, CancellationToken cancellationToken = default)
    {
        var snapshot = _lastSnapshot ?? await ObserveAsync(cancellationToken);
        var leader = snapshot.Leader
            ?? throw new EtcdOperationException(EtcdErrorKind.NoLeader, "MoveLeader", null, "no reachable member is leader");
        if (leader.Id == targetMemberId)
        {
            return;
        }
        var target = snapshot.Member(targetMemberId);
        if (target is null || target.IsLearner)
        {
            throw new EtcdOperationException(EtcdErrorKind.InvalidTarget, "MoveLeader", leader.Endpoint,
                $"member {targetMemberId:x} is {(target is null ? "not in the cluster" : "a learner")}");
        }
        await CallAsync("MoveLeader", leader.Endpoint!, _options.RequestTimeout, (client, ct) =>
            client.MoveLeaderAsync(new MoveLeaderRequest { TargetID = targetMemberId }, cancellationToken: ct), cancellationToken);
        _logger.LogInformation("Moved leadership from {From} to {To}", leader.HexId, target.HexId);
    }

    Task IEtcdMaintenance.CompactAsync(long revision, CancellationToken cancellationToken) =>
        CompactAsync(revision, physical: true, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values.Where(c => c.IsValueCreated))
        {
            client.Value.Dispose();
        }
        _clients.Clear();
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<Dictionary<string, StatusOutcome>> StatusOfConfiguredEndpointsAsync(CancellationToken cancellationToken)
    {
        var outcomes = await Task.WhenAll(_configuredEndpoints.Select(e => StatusAtAsync(e, cancellationToken)));
        return outcomes.ToDictionary(o => o.Endpoint, StringComparer.OrdinalIgnoreCase);
    }

    private async Task<IReadOnlyList<Member>> ListMembersAsync(
        Dictionary<string, StatusOutcome> configured, List<string> problems, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var endpoint in _configuredEndpoints.Where(e => configured[e].Response is not null))
        {
            try
            {
                var response = await CallAsync("MemberList", endpoint, _options.RequestTimeout, (client, ct) =>
                    client.MemberListAsync(new MemberListRequest(), cancellationToken: ct), cancellationToken);
                _lastMembers = response.Members.ToList();
                return _lastMembers;
            }
            catch (EtcdOperationException e)
            {
                failures.Add(e.Message);
            }
        }
        failures.AddRange(configured.Values.Where(o => o.Error is not null).Select(o => o.Error!.Message));
        problems.Add($"no configured endpoint answered MemberList: {string.Join("; ", failures)}");
        // Keep naming the members we knew, so that they show up as unreachable rather than vanish.
        return _lastMembers;
    }

    private async Task<MemberSnapshot> ObserveMemberAsync(
        Member member, Dictionary<string, StatusOutcome> configured, CancellationToken cancellationToken)
    {
        var advertised = member.ClientURLs.Select(NormalizeUrl).ToList();
        var snapshot = new MemberSnapshot
        {
            Id = member.ID,
            Name = member.Name,
            AdvertisedClientUrls = advertised,
            IsLearner = member.IsLearner,
        };
        if (advertised.Count == 0)
        {
            return snapshot with { EndpointNote = "the member has not started yet (it advertises no client URL)" };
        }

        var (reached, source, note) = await ResolveEndpointAsync(member.ID, advertised, configured, cancellationToken);
        if (reached is null)
        {
            _memberEndpoints.TryRemove(member.ID, out _);
            return snapshot with { EndpointNote = note, Health = MemberHealth.Unknown("unreachable") };
        }
        if (source == EndpointSource.ConfiguredFallback
            && _memberEndpoints.TryGetValue(member.ID, out var previous) && previous != reached.Endpoint)
        {
            _logger.LogWarning("Member {Member} ({Name}) is reached through configured endpoint {Endpoint}: {Note}",
                member.ID.ToString("x"), member.Name, reached.Endpoint, note);
        }
        _memberEndpoints[member.ID] = reached.Endpoint;

        var status = reached.Response!;
        var healthTask = ProbeHealthAtAsync(reached.Endpoint, cancellationToken);
        var metrics = await MetricsAsync(reached.Endpoint, cancellationToken);
        var (quota, quotaSource) = status.DbSizeQuota > 0
            ? (status.DbSizeQuota, QuotaSource.Status)
            : metrics is not null && MemberMetrics.Quota(metrics) is { } fromMetrics ? (fromMetrics, QuotaSource.Metrics) : ((long?)null, QuotaSource.Unknown);
        return snapshot with
        {
            Endpoint = reached.Endpoint,
            EndpointSource = source,
            EndpointNote = note,
            Status = new MemberStatus
            {
                Version = status.Version,
                DbSizeBytes = status.DbSize,
                DbSizeInUseBytes = status.DbSizeInUse,
                Revision = status.Header.Revision,
                LeaderId = status.Leader,
                RaftIndex = status.RaftIndex,
                RaftTerm = status.RaftTerm,
                Errors = status.Errors.ToList(),
                ClusterId = status.Header.ClusterId,
            },
            Health = await healthTask,
            QuotaBytes = quota,
            QuotaSource = quotaSource,
            CompactRevision = metrics is null ? null : MemberMetrics.CompactRevision(metrics),
            FinishedCompactions = metrics is null ? null : MemberMetrics.FinishedCompactions(metrics),
        };
    }

    /// <summary>
    /// Finds a URL at which this very member answers. An advertised URL can be unreachable from
    /// here or, worse, reach a different etcd (http://127.0.0.1:2379 on the operator's own host),
    /// so an answer only counts when Status' header carries this member's id.
    /// </summary>
    private async Task<(StatusOutcome? Reached, EndpointSource Source, string? Note)> ResolveEndpointAsync(
        ulong memberId, List<string> advertised, Dictionary<string, StatusOutcome> configured, CancellationToken cancellationToken)
    {
        EndpointSource SourceOf(string url) =>
            advertised.Contains(url, StringComparer.OrdinalIgnoreCase) ? EndpointSource.Advertised : EndpointSource.ConfiguredFallback;

        if (_memberEndpoints.TryGetValue(memberId, out var cached))
        {
            var outcome = configured.GetValueOrDefault(cached) ?? await StatusAtAsync(cached, cancellationToken);
            if (outcome.MemberId == memberId)
            {
                return (outcome, SourceOf(cached), SourceOf(cached) == EndpointSource.ConfiguredFallback
                    ? FallbackNote(advertised) : null);
            }
        }

        var toAsk = advertised.Where(u => !configured.ContainsKey(u)).ToList();
        var asked = await Task.WhenAll(toAsk.Select(u => StatusAtAsync(u, cancellationToken)));
        var outcomes = asked.Concat(configured.Values).ToDictionary(o => o.Endpoint, StringComparer.OrdinalIgnoreCase);

        foreach (var url in advertised)
        {
            if (outcomes[url].MemberId == memberId)
            {
                return (outcomes[url], EndpointSource.Advertised, null);
            }
        }
        var advertisedProblems = string.Join("; ", advertised.Select(u => Describe(outcomes[u], memberId)));
        var fallback = configured.Values.FirstOrDefault(o => o.MemberId == memberId);
        if (fallback is not null)
        {
            return (fallback, EndpointSource.ConfiguredFallback, $"advertised URL not usable from here ({advertisedProblems})");
        }
        return (null, EndpointSource.None, $"unreachable: {advertisedProblems}");
    }

    private static string FallbackNote(List<string> advertised) =>
        $"advertised URL {string.Join(", ", advertised)} not usable from here";

    private static string Describe(StatusOutcome outcome, ulong expectedId) => outcome switch
    {
        { Error: { } error } => $"{outcome.Endpoint}: {error.Kind} ({error.Detail})",
        _ => $"{outcome.Endpoint} answers as member {outcome.MemberId:x}, not {expectedId:x}",
    };

    private async Task<StatusOutcome> StatusAtAsync(string endpoint, CancellationToken cancellationToken)
    {
        try
        {
            var response = await CallAsync("Status", endpoint, _options.RequestTimeout, (client, ct) =>
                client.StatusAsync(new StatusRequest(), cancellationToken: ct), cancellationToken);
            return new StatusOutcome(endpoint, response, null);
        }
        catch (EtcdOperationException e)
        {
            return new StatusOutcome(endpoint, null, e);
        }
    }

    private async Task<MemberHealth> ProbeHealthAtAsync(string endpoint, CancellationToken cancellationToken)
    {
        try
        {
            // The same probe as etcdctl endpoint health: a linearizable Get of the key "health".
            // It passes through raft, so it fails when the member has no leader or no quorum.
            await CallAsync("HealthRead", endpoint, _options.RequestTimeout, (client, ct) =>
                client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("health"), Serializable = false, Limit = 1 }, cancellationToken: ct),
                cancellationToken);
            return MemberHealth.Healthy;
        }
        catch (EtcdOperationException e) when (e.Kind == EtcdErrorKind.PermissionDenied)
        {
            // A user without read access to "health" still got through raft: the member is healthy.
            return MemberHealth.Healthy;
        }
        catch (EtcdOperationException e)
        {
            return MemberHealth.Unhealthy($"{e.Kind}: {e.Detail}");
        }
    }

    /// <summary>
    /// The lines of the member's /metrics text that hygiene reads, or null when it cannot be read
    /// (then quota and compacted revision are unknown). Streamed: the whole text is 100–200 KB, and
    /// reading it into one string per member per cycle went to the large object heap each time.
    /// </summary>
    private async Task<string?> MetricsAsync(string endpoint, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            await using var stream = await _http.Value.GetStreamAsync($"{endpoint}/metrics", timeout.Token);
            using var reader = new StreamReader(stream);
            var wanted = new System.Text.StringBuilder();
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (MemberMetrics.IsRead(line))
                {
                    wanted.AppendLine(line);
                }
            }
            return wanted.ToString();
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogDebug("Could not read {Endpoint}/metrics: {Error}", endpoint, e.Message);
            return null;
        }
    }

    private async Task<(IReadOnlyList<ActiveAlarm>, bool)> ListAlarmsOrReportAsync(
        IReadOnlyList<MemberSnapshot> members, List<string> problems, CancellationToken cancellationToken)
    {
        foreach (var endpoint in members.Where(m => m.Reachable).Select(m => m.Endpoint!))
        {
            try
            {
                return (await ListAlarmsAtAsync(endpoint, cancellationToken), true);
            }
            catch (EtcdOperationException e)
            {
                problems.Add($"alarm list failed: {e.Message}");
            }
        }
        if (!members.Any(m => m.Reachable))
        {
            problems.Add("alarms unknown: no member is reachable");
        }
        return ([], false);
    }

    private async Task<IReadOnlyList<ActiveAlarm>> ListAlarmsAtAsync(string endpoint, CancellationToken cancellationToken)
    {
        var response = await CallAsync("AlarmList", endpoint, _options.RequestTimeout, (client, ct) =>
            client.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get }, cancellationToken: ct), cancellationToken);
        return response.Alarms.Select(a => new ActiveAlarm(a.MemberID, a.Alarm switch
        {
            AlarmType.Nospace => AlarmKind.NoSpace,
            AlarmType.Corrupt => AlarmKind.Corrupt,
            _ => AlarmKind.Unknown,
        })).ToList();
    }

    /// <summary>Endpoints for cluster-wide calls: the leader first (it applies them first), then the rest.</summary>
    private IEnumerable<string> PreferredClusterEndpoints()
    {
        var leader = _lastSnapshot?.Leader is { } known && _memberEndpoints.TryGetValue(known.Id, out var url) ? [url] : Array.Empty<string>();
        return leader.Concat(_memberEndpoints.Values).Concat(_configuredEndpoints).Distinct(StringComparer.OrdinalIgnoreCase);
    }

    private string EndpointOf(ulong memberId, string operation) =>
        _memberEndpoints.TryGetValue(memberId, out var endpoint)
            ? endpoint
            : throw new EtcdOperationException(EtcdErrorKind.Unreachable, operation, null,
                $"member {memberId:x} was not reachable at the last observation");

    private async Task<T> CallAsync<T>(
        string operation, string endpoint, TimeSpan timeout,
        Func<EtcdClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            var client = _clients.GetOrAdd(endpoint, url => new Lazy<Rented<EtcdClient>>(() => _pool.Client(url, _options))).Value.Value;
            // WaitAsync keeps the timeout honest even if a call ignored its token.
            return await call(client, linked.Token).WaitAsync(linked.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw EtcdErrors.Classify(e, operation, endpoint, timedOut: deadline.IsCancellationRequested);
        }
    }

    private static EtcdOperationException NoEndpointAnswered(string operation, List<EtcdOperationException> errors) =>
        new(EtcdErrorKind.Unreachable, operation, null, string.Join("; ", errors.Select(e => e.Message)));

    private static string NormalizeUrl(string url) => url.Trim().TrimEnd('/');

    private sealed record StatusOutcome(string Endpoint, StatusResponse? Response, EtcdOperationException? Error)
    {
        public ulong? MemberId => Response?.Header.MemberId;
    }
}
