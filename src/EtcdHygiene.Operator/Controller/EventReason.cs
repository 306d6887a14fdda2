using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Controller;

/// <summary>
/// The CamelCase reason of a Kubernetes event about a policy. Where an event tells what a
/// condition says (an invalid spec, a policy not allowed, a missing Secret, a failed step, the
/// analysis unavailable), its reason is that condition's reason, defined once there. A planner's
/// warning note is told with its code as the reason.
/// </summary>
public readonly record struct EventReason(string Value)
{
    /// <summary>A step failed (as the Ready condition says).</summary>
    public static readonly EventReason StepFailed = new(ConditionReason.StepFailed);
    /// <summary>The spec cannot be acted on (as the InvalidSpec condition says).</summary>
    public static readonly EventReason InvalidSpec = new(ConditionReason.InvalidSpec);
    /// <summary>The tenancy rules refuse the policy (as the Ready condition says).</summary>
    public static readonly EventReason NotAllowed = new(ConditionReason.NotAllowed);
    /// <summary>A Secret the policy names cannot be read (as the Ready condition says).</summary>
    public static readonly EventReason SecretUnavailable = new(ConditionReason.SecretUnavailable);
    /// <summary>The churn analysis cannot read etcd, and retrying cannot cure it (as the ChurnDetected condition says).</summary>
    public static readonly EventReason AnalysisUnavailable = new(ConditionReason.AnalysisUnavailable);
    /// <summary>A dry run would have taken a step.</summary>
    public static readonly EventReason DryRun = new(nameof(DryRun));
    /// <summary>History was compacted to the latest revision to recover from NOSPACE.</summary>
    public static readonly EventReason EmergencyCompaction = new(nameof(EmergencyCompaction));
    /// <summary>History was compacted.</summary>
    public static readonly EventReason Compacted = new(nameof(Compacted));
    /// <summary>Leadership was handed to another member before its defragmentation.</summary>
    public static readonly EventReason LeaderMoved = new(nameof(LeaderMoved));
    /// <summary>A member was defragmented.</summary>
    public static readonly EventReason Defragmented = new(nameof(Defragmented));
    /// <summary>The NOSPACE alarm was disarmed.</summary>
    public static readonly EventReason NoSpaceDisarmed = new(nameof(NoSpaceDisarmed));
    /// <summary>A key group rewrites unchanged content often.</summary>
    public static readonly EventReason ChurnDetected = new(nameof(ChurnDetected));

    /// <summary>The reason of a planner's warning note: its code.</summary>
    public static EventReason Of(NoteCode code) => new(code.ToString());

    /// <summary>The wire value.</summary>
    public override string ToString() => Value;

    /// <summary>Read as the wire string the API server takes; the other way needs <c>new</c>.</summary>
    public static implicit operator string(EventReason reason) => reason.Value;
}
