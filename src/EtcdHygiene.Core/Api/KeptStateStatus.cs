using EtcdHygiene.Core.Planning;

namespace EtcdHygiene.Core.Api;

/// <summary>
/// The one mapping between the kept state (<see cref="HygieneState"/>) and the status fields that
/// hold it on Kubernetes, both ways. A kept-state field is added here and in the status type, and
/// <c>KeptStateStatusTests</c> fails until it round-trips.
/// </summary>
public static class KeptStateStatus
{
    /// <summary>The kept state stored in <paramref name="status"/>; a fresh one when there is none.</summary>
    public static HygieneState Read(RegistryPolicyStatus? status) => new()
    {
        ClusterId = status?.ClusterId,
        PreventionGaveUpAt = StatusTime.Read(status?.PreventionGaveUpAt),
        Samples = (status?.RevisionSamples ?? [])
            .Where(s => s.Time is not null && s.Revision is not null)
            .Select(s => new RevisionSample(StatusTime.Read(s.Time)!.Value, s.Revision!.Value))
            .ToList(),
        LastCompactionTime = StatusTime.Read(status?.LastCompactionTime),
        LastCompactedRevision = status?.CompactedRevision,
        LastDefragTime = StatusTime.Read(status?.LastDefrag?.Time),
        LastDefragReclaimedBytes = status?.LastDefrag?.ReclaimedBytes,
        LastDefragTimes = (status?.Members ?? [])
            .Where(m => m.Id is not null && m.LastDefragTime is not null)
            .ToDictionary(m => m.Id!, m => StatusTime.Read(m.LastDefragTime)!.Value),
        UnfinishedDefrag = status?.UnfinishedDefrag is { MemberId: { } id, StartedAt: { } started } unfinished
            ? new DefragStart(id, unfinished.MemberName ?? "", StatusTime.Read(started)!.Value, StatusTime.Read(unfinished.SeenOverAt))
            : null,
    };

    /// <summary>
    /// Writes <paramref name="state"/> into <paramref name="status"/>, every other field kept.
    /// <paramref name="addMembers"/>: whether a member the state knows and the status does not is
    /// added (mid-cycle, before the first full status exists) or left out (a member no longer in the cluster).
    /// </summary>
    public static RegistryPolicyStatus Write(RegistryPolicyStatus status, HygieneState state, bool addMembers)
    {
        var members = status.Members ?? [];
        foreach (var (id, time) in state.LastDefragTimes)
        {
            var member = members.FirstOrDefault(m => m.Id == id);
            if (member is null && addMembers)
            {
                member = new MemberStatusEntry { Id = id };
                members.Add(member);
            }
            member?.LastDefragTime = StatusTime.Write(time);
        }
        status.Members = members;
        if (state.ClusterId != status.ClusterId)
        {
            // Another cluster's compacted revision would mislead whoever reads status.
            status.CompactedRevision = null;
        }
        status.ClusterId = state.ClusterId;
        status.PreventionGaveUpAt = StatusTime.Write(state.PreventionGaveUpAt);
        if (state.LastCompactedRevision is { } compacted && compacted > (status.CompactedRevision ?? 0))
        {
            status.CompactedRevision = compacted;
        }
        status.LastCompactionTime = StatusTime.Write(state.LastCompactionTime);
        status.LastDefrag = state.LastDefragTime is null ? null : new LastDefragStatus { Time = StatusTime.Write(state.LastDefragTime), ReclaimedBytes = state.LastDefragReclaimedBytes };
        status.UnfinishedDefrag = state.UnfinishedDefrag is not { } unfinished ? null : new UnfinishedDefragStatus
        {
            MemberId = unfinished.MemberId,
            MemberName = unfinished.MemberName,
            StartedAt = StatusTime.Write(unfinished.StartedAt),
            SeenOverAt = StatusTime.Write(unfinished.SeenOverAt),
        };
        status.RevisionSamples = state.Samples.Select(s => new RevisionSampleStatus { Time = StatusTime.Write(s.At), Revision = s.Revision }).ToList();
        return status;
    }
}
