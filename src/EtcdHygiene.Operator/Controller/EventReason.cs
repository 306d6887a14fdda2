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
    public static readonly EventReason StepFailed = new(ConditionReason.StepFailed);
    public static readonly EventReason InvalidSpec = new(ConditionReason.InvalidSpec);
    public static readonly EventReason NotAllowed = new(ConditionReason.NotAllowed);
    public static readonly EventReason SecretUnavailable = new(ConditionReason.SecretUnavailable);
    public static readonly EventReason AnalysisUnavailable = new(ConditionReason.AnalysisUnavailable);
    public static readonly EventReason DryRun = new(nameof(DryRun));
    public static readonly EventReason EmergencyCompaction = new(nameof(EmergencyCompaction));
    public static readonly EventReason Compacted = new(nameof(Compacted));
    public static readonly EventReason LeaderMoved = new(nameof(LeaderMoved));
    public static readonly EventReason Defragmented = new(nameof(Defragmented));
    public static readonly EventReason NoSpaceDisarmed = new(nameof(NoSpaceDisarmed));
    public static readonly EventReason ChurnDetected = new(nameof(ChurnDetected));

    /// <summary>The reason of a planner's warning note: its code.</summary>
    public static EventReason Of(NoteCode code) => new(code.ToString());

    /// <summary>The wire value.</summary>
    public override string ToString() => Value;

    /// <summary>Read as the wire string the API server takes; the other way needs <c>new</c>.</summary>
    public static implicit operator string(EventReason reason) => reason.Value;
}
