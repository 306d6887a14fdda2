namespace EtcdHygiene.Core.Planning;

/// <summary>
/// Something the planner decided not to do, or wants said: a refusal, a wait, a warning.
/// </summary>
/// <param name="Code">What it is about; its name is the reason of the Kubernetes event.</param>
/// <param name="Message">What and why, for a person.</param>
/// <param name="Severity">Info, or Warning for what needs attention.</param>
public sealed record PlanNote(NoteCode Code, string Message, NoteSeverity Severity = NoteSeverity.Info)
{
    /// <summary>A warning note.</summary>
    public static PlanNote Warning(NoteCode code, string message) => new(code, message, NoteSeverity.Warning);
}

/// <summary>How loud a note is.</summary>
public enum NoteSeverity
{
    /// <summary>Normal operation (not due yet, nothing to do).</summary>
    Info,
    /// <summary>Needs a person's attention (blocked, corrupt, emergency).</summary>
    Warning,
}
