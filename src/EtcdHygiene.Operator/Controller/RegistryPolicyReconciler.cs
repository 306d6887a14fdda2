using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Kubernetes.Resources;
using EtcdHygiene.Kubernetes.Runtime;
using EtcdHygiene.Operator.Analysis;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// RegistryPolicy → one hygiene cycle: validate the spec (nothing reaches etcd when it is
/// invalid), read its Secrets, run the cycle, record an event for every action and refusal, write
/// status, and ask to be called again when the next cycle is due.
/// </summary>
public sealed class RegistryPolicyReconciler
{
    /// <summary>How soon to look again while NOSPACE lasts: no instance can register meanwhile.</summary>
    public static readonly TimeSpan NoSpaceRequeue = TimeSpan.FromSeconds(10);

    /// <summary>How soon to retry when a Secret is missing.</summary>
    public static readonly TimeSpan SecretRequeue = TimeSpan.FromSeconds(30);

    private readonly Func<string, RegistryPolicyResource?> _cache;
    private readonly SecretReader _secrets;
    private readonly EtcdConnections _connections;
    private readonly PolicyAnalyses _analyses;
    private readonly StatusPatcher _status;
    private readonly EventRecorder _events;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _logging;
    private readonly ILogger _logger;
    private readonly Metrics.HygieneMetrics _metrics;

    /// <summary>Creates the reconciler over the informer's cache.</summary>
    public RegistryPolicyReconciler(Func<string, RegistryPolicyResource?> cache, SecretReader secrets, EtcdConnections connections, PolicyAnalyses analyses,
        StatusPatcher status, EventRecorder events, Metrics.HygieneMetrics metrics, TimeProvider time, ILoggerFactory logging)
    {
        _analyses = analyses;
        _metrics = metrics;
        _cache = cache;
        _secrets = secrets;
        _connections = connections;
        _status = status;
        _events = events;
        _time = time;
        _logging = logging;
        _logger = logging.CreateLogger<RegistryPolicyReconciler>();
    }

    /// <summary>Reconciles the policy "namespace/name".</summary>
    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken stopping)
    {
        var resource = _cache(key);
        var parts = key.Split('/', 2);
        var policyKey = new PolicyKey(parts[0], parts[1]);
        if (resource is null || resource.Metadata.DeletionTimestamp is not null)
        {
            // Deleted: stop everything run for it.
            await _connections.RemoveAsync(policyKey);
            await _analyses.RemoveAsync(policyKey);
            _metrics.Forget(policyKey);
            _logger.LogInformation("Policy {Policy} is gone; its etcd connection and analysis are closed", key);
            return ReconcileResult.Done;
        }
        var subject = Reference(resource);
        var generation = resource.Metadata.Generation ?? 0;
        if (resource.Unreadable is { } unreadable)
        {
            return await RefuseAsync(policyKey, subject, resource, generation, [$"spec cannot be read: {unreadable}"], stopping);
        }
        var validation = PolicyValidator.Validate(new RegistryPolicyManifest
        {
            ApiVersion = resource.ApiVersion,
            Kind = resource.Kind,
            Metadata = new PolicyMetadata { Name = resource.Metadata.Name, Namespace = resource.Metadata.NamespaceProperty, Generation = generation },
            Spec = resource.Spec,
        });
        if (!validation.IsValid)
        {
            return await RefuseAsync(policyKey, subject, resource, generation, validation.Problems, stopping);
        }
        var policy = validation.Policy!;

        Etcd.EtcdConnectionOptions options;
        try
        {
            options = await _secrets.OptionsForAsync(policy, stopping);
        }
        catch (SecretUnavailableException e)
        {
            await _events.RecordAsync(subject, "Warning", "SecretUnavailable", e.Message, stopping);
            var status = Clone(resource.Status) ?? new RegistryPolicyStatus();
            var conditions = status.Conditions ?? [];
            Conditions.Set(conditions, Conditions.Ready, false, "SecretUnavailable", e.Message, generation, _time.GetUtcNow());
            status.Conditions = conditions;
            status.ObservedGeneration = generation;
            await _status.PatchAsync(policyKey.Namespace, policyKey.Name, resource.Status, status, stopping);
            return ReconcileResult.After(SecretRequeue);
        }

        var etcd = await _connections.ForAsync(policyKey, options);
        var kept = StatusBuilder.StateFrom(resource.Status);
        var analysis = await _analyses.ForAsync(policy, options, kept.Samples);
        var cycle = new HygieneCycle(etcd, _time, _logging.CreateLogger<HygieneCycle>());
        // What status holds now: the cycle may write to it before its end (the churn evidence, its progress).
        var current = resource.Status;
        var evidencePublished = false;
        var result = await cycle.RunAsync(policy, kept, stopping, new CycleHooks
        {
            BeforeStep = async (step, snapshot) =>
            {
                if (!evidencePublished && PolicyAnalysis.DestroysEvidence(step, snapshot) && analysis.Watcher is not null)
                {
                    evidencePublished = true;
                    current = await PublishEvidenceAsync(policyKey, subject, current, generation, analysis) ?? current;
                }
            },
            SaveProgress = async progress =>
            {
                var saved = StatusBuilder.WithState(Clone(current) ?? new RegistryPolicyStatus(), progress);
                await _status.PatchAsync(policyKey.Namespace, policyKey.Name, current, saved, CancellationToken.None);
                current = saved;
            },
        });
        _metrics.Record(policy, result);
        await RecordEventsAsync(subject, result, stopping);
        var now = _time.GetUtcNow();
        var forecast = analysis.Observe(policy, result.Final);
        var report = analysis.Report();
        _metrics.RecordFindings(policyKey, report, forecast, now);
        await RecordChurnAsync(subject, analysis.ToAnnounce(report, now, always: false), CancellationToken.None);
        var after = StatusBuilder.WithFindings(StatusBuilder.From(policy, result, Clone(current), now), generation, report, analysis.Watcher?.Problem, forecast, now);
        await _status.PatchAsync(policyKey.Namespace, policyKey.Name, current, after, CancellationToken.None);
        return ReconcileResult.After(result.Final.HasNoSpaceAlarm && policy.Compaction.Interval > NoSpaceRequeue ? NoSpaceRequeue : policy.Compaction.Interval);
    }

    /// <summary>
    /// Before a NOSPACE compaction destroys the history that shows what filled the database: let
    /// the analysis read all of it, then write its findings to status and events. Never throws:
    /// the recovery must not wait on the diagnosis more than the bounded catch-up.
    /// </summary>
    private async Task<RegistryPolicyStatus?> PublishEvidenceAsync(PolicyKey policyKey, V1ObjectReference subject, RegistryPolicyStatus? current, long generation, PolicyAnalysis analysis)
    {
        try
        {
            var report = await analysis.CatchUpAsync(CancellationToken.None);
            var status = StatusBuilder.WithFindings(Clone(current) ?? new RegistryPolicyStatus(), generation, report, analysis.Watcher?.Problem, analysis.Forecast, _time.GetUtcNow());
            await _status.PatchAsync(policyKey.Namespace, policyKey.Name, current, status, CancellationToken.None);
            await RecordChurnAsync(subject, analysis.ToAnnounce(report, _time.GetUtcNow(), always: true), CancellationToken.None);
            _logger.LogInformation("Policy {Policy}: churn findings written to status before the NOSPACE compaction", policyKey);
            return status;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogWarning("Policy {Policy}: could not publish the churn findings before compacting: {Error}", policyKey, e.Message);
            return null;
        }
    }

    private async Task RecordChurnAsync(V1ObjectReference subject, IReadOnlyList<GroupFinding> churning, CancellationToken cancellationToken)
    {
        foreach (var group in churning)
        {
            await _events.RecordAsync(subject, "Warning", "ChurnDetected", ChurnRule.Describe(group), cancellationToken);
        }
    }

    /// <summary>An invalid or unreadable spec: say why, touch nothing, stop whatever ran for the policy before.</summary>
    private async Task<ReconcileResult> RefuseAsync(PolicyKey policyKey, V1ObjectReference subject, RegistryPolicyResource resource, long generation,
        IReadOnlyList<string> problems, CancellationToken stopping)
    {
        var text = string.Join("; ", problems);
        _logger.LogWarning("Policy {Policy}: invalid spec: {Problems}", policyKey, text);
        await _analyses.RemoveAsync(policyKey);
        await _events.RecordAsync(subject, "Warning", "InvalidSpec", text, stopping);
        await _status.PatchAsync(policyKey.Namespace, policyKey.Name, resource.Status,
            StatusBuilder.Invalid(Clone(resource.Status), generation, problems, _time.GetUtcNow()), stopping);
        return ReconcileResult.Done;
    }

    private async Task RecordEventsAsync(V1ObjectReference subject, CycleResult result, CancellationToken cancellationToken)
    {
        foreach (var outcome in result.Steps)
        {
            var step = outcome.Step;
            var (type, reason, message) = outcome.Result switch
            {
                StepResult.Failed => ("Warning", "StepFailed", $"{step.Title} failed: {outcome.Error}"),
                StepResult.DryRun => ("Normal", "DryRun", $"would {step.Title}: {step.Reason}"),
                _ => step.Kind switch
                {
                    StepKind.Compact when step.Compaction == CompactionKind.Emergency => ("Warning", "EmergencyCompaction", $"{step.Title}: {step.Reason}"),
                    StepKind.Compact => ("Normal", "Compacted", $"{step.Title}: {step.Reason}"),
                    StepKind.MoveLeader => ("Normal", "LeaderMoved", $"{step.Title}: {step.Reason}"),
                    StepKind.Defragment => ("Normal", "Defragmented",
                        $"{step.Title} in {outcome.Duration.TotalSeconds:0.0}s, reclaimed {Quantity.FormatBytes(outcome.ReclaimedBytes ?? 0)}: {step.Reason}"),
                    StepKind.DisarmNoSpace => ("Normal", "NoSpaceDisarmed", $"{step.Title}: {step.Reason}"),
                    _ => ("Normal", step.Kind.ToString(), step.Reason),
                },
            };
            await _events.RecordAsync(subject, type, reason, message, cancellationToken);
        }
        foreach (var note in result.Notes.Where(n => n.Severity == NoteSeverity.Warning))
        {
            await _events.RecordAsync(subject, "Warning", note.Code, note.Message, cancellationToken);
        }
    }

    private static V1ObjectReference Reference(RegistryPolicyResource resource) => new()
    {
        ApiVersion = resource.ApiVersion,
        Kind = resource.Kind,
        Name = resource.Metadata.Name,
        NamespaceProperty = resource.Metadata.NamespaceProperty,
        Uid = resource.Metadata.Uid,
        ResourceVersion = resource.Metadata.ResourceVersion,
    };

    private static RegistryPolicyStatus? Clone(RegistryPolicyStatus? status) =>
        status is null ? null : System.Text.Json.JsonSerializer.Deserialize<RegistryPolicyStatus>(System.Text.Json.JsonSerializer.Serialize(status));
}
