namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>A safety rule of docs/architecture.md broken in a schedule, at a time since its start.</summary>
/// <param name="Rule">The rule's number in docs/architecture.md (0: the runtime crashed or stalled).</param>
/// <param name="At">When (monotonic, since the start).</param>
/// <param name="What">What happened, in etcd's terms.</param>
public sealed record Violation(int Rule, TimeSpan At, string What)
{
    /// <inheritdoc />
    public override string ToString() => $"rule {Rule} at {At:hh\\:mm\\:ss\\.fff}: {What}";
}
