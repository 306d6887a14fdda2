using EtcdHygiene.Core.Planning;

namespace EtcdHygiene.Core.Execution;

/// <summary>How a planned step ended.</summary>
public enum StepResult
{
    /// <summary>Done.</summary>
    Succeeded,
    /// <summary>etcd refused or did not answer in time; the cycle stopped there.</summary>
    Failed,
    /// <summary>Not executed: the policy is a dry run.</summary>
    DryRun,
}

/// <summary>One step and what came of it.</summary>
public sealed record StepOutcome
{
    /// <summary>The step.</summary>
    public required HygieneStep Step { get; init; }

    /// <summary>How it ended.</summary>
    public required StepResult Result { get; init; }

    /// <summary>How long the RPC took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Why it failed.</summary>
    public string? Error { get; init; }

    /// <summary>Defragment: how much the member's file shrank, measured by the next observation.</summary>
    public long? ReclaimedBytes { get; init; }
}
