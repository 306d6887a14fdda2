using EtcdHygiene.Core.Planning;

namespace EtcdHygiene.Core.Execution;

/// <summary>One policy's turn on a cluster's lane (<see cref="IMaintenanceLanes"/>); disposing it lets the next one in.</summary>
public interface IMaintenanceTurn : IAsyncDisposable
{
    /// <summary>Null when the turn is granted; otherwise why this policy may not act (another process maintains the cluster).</summary>
    string? Refused { get; }

    /// <summary>A warning about the turn (it goes ahead without the cluster's lock), or null.</summary>
    string? Warning { get; }

    /// <summary>The lane's <see cref="IMaintenanceLanes.Changes"/> count when the turn began.</summary>
    long Changes { get; }

    /// <summary>
    /// The fence, checked immediately before each mutating request: null while this process still
    /// holds what entitles it to act (the cluster's lock, the operator's Lease), else why not.
    /// </summary>
    string? WhyNotEntitled();

    /// <summary>
    /// Records a step that ran on the cluster (the end of a defragmentation starts the pause for
    /// every policy of the cluster); returns the lane's count after it.
    /// </summary>
    long Acted(HygieneStep step, DateTimeOffset endedAt);
}
