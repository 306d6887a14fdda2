using System.Net;
using EtcdHygiene.Kubernetes.Resources;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Supervision.Lanes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Controller.Leadership;

/// <summary>
/// Leader election on a coordination.k8s.io Lease, as client-go's elector runs it, with three
/// differences that matter to an operator that must never let two replicas act at once:
/// <list type="bullet">
/// <item>Expiry is judged on the monotonic clock only: another holder's Lease counts as expired
/// when its duration has passed since this replica saw its record change, and this replica's own
/// right to act (<see cref="IActingRight"/>, safety rule 9) ends when the Lease's duration, less a
/// fifth, has passed since its last successful write was <em>sent</em> — whatever the wall clock
/// did and however long the process was stopped.</item>
/// <item>A connection error (refused, reset, timed out) is "not this time", like an error status:
/// it is logged, kept for /readyz (<see cref="Failure"/>), and retried; it never ends the process
/// nor gives leadership up before the renew deadline.</item>
/// <item>A replica that stops leading of its own accord releases the Lease
/// (<see cref="ReleaseAsync"/>), so the next one starts at once.</item>
/// </list>
/// Written here because KubernetesClient.Aot, which Native AOT needs, has no elector.
/// </summary>
public sealed class LeaseElector : IActingRight
{
    private readonly KubernetesApi _client;
    private readonly string _namespace;
    private readonly string _name;
    private readonly LeaseTimings _timings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile string? _failure;
    private long _heldUntil;
    // The last record read or written and when (monotonic) it was first seen: another holder's
    // Lease expires its duration after that, as client-go's observedTime.
    private V1Lease? _observed;
    private long _observedAt;
    private long _lastRenewed;

    /// <summary>An elector for the Lease <paramref name="ns"/>/<paramref name="name"/>, standing as <paramref name="identity"/>.</summary>
    public LeaseElector(KubernetesApi client, string ns, string name, string identity, LeaseTimings timings, TimeProvider time, ILogger logger)
    {
        _client = client;
        _namespace = ns;
        _name = name;
        Identity = identity;
        _timings = timings;
        _time = time;
        _logger = logger;
    }

    /// <summary>Who this replica stands as.</summary>
    public string Identity { get; }

    /// <summary>Why the last attempt to read or write the Lease failed, or null when it worked.</summary>
    public string? Failure => _failure;

    /// <summary>Returns once this replica holds the Lease, trying every retry period; throws when <paramref name="stopping"/> is cancelled.</summary>
    public async Task AcquireAsync(CancellationToken stopping)
    {
        while (!await TryAcquireOrRenewAsync(stopping))
        {
            await Task.Delay(_timings.RetryPeriod, _time, stopping);
        }
        _logger.LogInformation("Leading: this replica ({Identity}) holds the Lease {Lease}", Identity, Describe());
    }

    /// <summary>
    /// Renews the Lease every retry period while this replica holds it. Returns why leadership was
    /// lost (no renewal within the renew deadline, or another holder), or null once
    /// <paramref name="stopping"/> is cancelled.
    /// </summary>
    public async Task<string?> KeepAsync(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_timings.RetryPeriod, _time, stopping);
                if (await TryAcquireOrRenewAsync(stopping))
                {
                    continue;
                }
                if (_observed?.Spec?.HolderIdentity is { Length: > 0 } holder && holder != Identity)
                {
                    return $"{holder} holds it now";
                }
                if (_time.GetElapsedTime(Volatile.Read(ref _lastRenewed)) >= _timings.RenewDeadline)
                {
                    return $"not renewed within the renew deadline ({_timings.RenewDeadline.TotalSeconds:0.#}s){(_failure is null ? "" : $": {_failure}")}";
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// One attempt, as client-go's tryAcquireOrRenew: read the Lease; take it if it is absent,
    /// released, expired or already ours; write it back on the version read. True when this
    /// replica holds it now.
    /// </summary>
    public async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var sent = _time.GetTimestamp();
        try
        {
            V1Lease? lease;
            try
            {
                lease = await ReadAsync(cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                lease = null;
            }
            _failure = null;
            if (lease is null)
            {
                var created = await _client.SendAsync(HttpMethod.Post, $"apis/coordination.k8s.io/v1/namespaces/{Uri.EscapeDataString(_namespace)}/leases",
                    ResourceJson.Default.V1Lease, KubernetesApi.Json(new V1Lease
                    {
                        ApiVersion = "coordination.k8s.io/v1",
                        Kind = "Lease",
                        Metadata = new V1ObjectMeta { Name = _name, NamespaceProperty = _namespace },
                        Spec = Ours(previous: null),
                    }, ResourceJson.Default.V1Lease), cancellationToken);
                return Held(created, sent);
            }
            Observe(lease);
            var holder = lease.Spec?.HolderIdentity;
            if (!string.IsNullOrEmpty(holder) && holder != Identity
                && _time.GetElapsedTime(_observedAt) < TimeSpan.FromSeconds(lease.Spec?.LeaseDurationSeconds ?? 0))
            {
                Volatile.Write(ref _heldUntil, 0);
                return false;
            }
            lease.Spec = Ours(lease.Spec);
            var replaced = await ReplaceAsync(lease, cancellationToken);
            return Held(replaced, sent);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Another replica wrote first: the election working, not a failure.
            return false;
        }
        catch (HttpOperationException e)
        {
            Failed($"{(int)e.Response.StatusCode} {e.Response.ReasonPhrase}");
            return false;
        }
        catch (Exception e) when (IsTransient(e, cancellationToken))
        {
            Failed(e.Message);
            return false;
        }
    }

    /// <inheritdoc />
    public string? WhyNotHeld() =>
        _time.GetTimestamp() < Volatile.Read(ref _heldUntil)
            ? null
            : $"this replica has not renewed the Lease {Describe()} within its duration: another replica may lead by now";

    /// <summary>
    /// Gives the Lease up if this replica holds it, as client-go does: an empty holder and a
    /// one-second duration, written on the version read. Failures are logged, never thrown: the
    /// next replica then takes over when the Lease expires.
    /// </summary>
    public async Task ReleaseAsync()
    {
        Volatile.Write(ref _heldUntil, 0);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var lease = await ReadAsync(timeout.Token);
            if (lease.Spec?.HolderIdentity != Identity)
            {
                return;
            }
            var now = _time.GetUtcNow().UtcDateTime;
            lease.Spec.HolderIdentity = "";
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = now;
            lease.Spec.AcquireTime = now;
            await ReplaceAsync(lease, timeout.Token);
            _logger.LogInformation("Released the Lease {Lease}", Describe());
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
        {
            _logger.LogWarning("Could not release the Lease {Lease} ({Reason}); the next replica takes over when it expires", Describe(), e.Message);
        }
    }

    private string LeasePath => $"apis/coordination.k8s.io/v1/namespaces/{Uri.EscapeDataString(_namespace)}/leases/{Uri.EscapeDataString(_name)}";

    private Task<V1Lease> ReadAsync(CancellationToken cancellationToken) =>
        _client.SendAsync(HttpMethod.Get, LeasePath, ResourceJson.Default.V1Lease, cancellationToken: cancellationToken);

    // Carries the resourceVersion read: a write after someone else's fails with 409 Conflict.
    private Task<V1Lease> ReplaceAsync(V1Lease lease, CancellationToken cancellationToken) =>
        _client.SendAsync(HttpMethod.Put, LeasePath, ResourceJson.Default.V1Lease, KubernetesApi.Json(lease, ResourceJson.Default.V1Lease), cancellationToken);

    /// <summary>The Lease, as namespace/name.</summary>
    public string Describe() => $"{_namespace}/{_name}";

    private V1LeaseSpec Ours(V1LeaseSpec? previous)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var renewing = previous?.HolderIdentity == Identity;
        return new V1LeaseSpec
        {
            HolderIdentity = Identity,
            LeaseDurationSeconds = (int)Math.Ceiling(_timings.Duration.TotalSeconds),
            AcquireTime = renewing ? previous!.AcquireTime ?? now : now,
            RenewTime = now,
            LeaseTransitions = (previous?.LeaseTransitions ?? 0) + (renewing || previous is null ? 0 : 1),
        };
    }

    private bool Held(V1Lease written, long sent)
    {
        Observe(written);
        Volatile.Write(ref _lastRenewed, sent);
        // A margin of a fifth: the check is made a moment before the request reaches etcd.
        var held = TimeSpan.FromSeconds((written.Spec?.LeaseDurationSeconds ?? 0) * 0.8);
        Volatile.Write(ref _heldUntil, sent + (long)(held.TotalSeconds * _time.TimestampFrequency));
        return true;
    }

    private void Observe(V1Lease lease)
    {
        var previous = _observed;
        if (previous?.Metadata?.ResourceVersion == lease.Metadata?.ResourceVersion && previous is not null)
        {
            return;
        }
        _observed = lease;
        _observedAt = _time.GetTimestamp();
        var holder = lease.Spec?.HolderIdentity ?? "";
        if (previous?.Spec?.HolderIdentity != holder)
        {
            _logger.LogInformation("Leader is now {Leader}", holder.Length == 0 ? "nobody (released)" : holder);
        }
    }

    private void Failed(string why)
    {
        _failure = $"cannot reach the Lease {Describe()}: {why}";
        _logger.LogWarning("Leader election: cannot reach the Lease {Lease}: {Why}; retrying", Describe(), why);
    }

    // An HttpClient timeout is a TaskCanceledException without our token being cancelled.
    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);
}
