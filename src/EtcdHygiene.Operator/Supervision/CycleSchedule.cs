using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Execution;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>When a policy's next cycle is due, from the last one: a pure function of policy, result, forecast and time.</summary>
public static class CycleSchedule
{
    /// <summary>Longest wait between cycles while a NOSPACE alarm is active: no instance can register meanwhile.</summary>
    public static readonly TimeSpan NoSpaceRetry = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The wait after a cycle that could not reach every member; it doubles with each such cycle
    /// in a row, up to <c>spec.compaction.interval</c>, and a cycle that reaches them all resets it.
    /// </summary>
    public static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The next cycle comes after <c>spec.compaction.interval</c>; while NOSPACE lasts, at the
    /// status poll's pace (every second of it is a second without registrations), unless only a person
    /// can end it; before the forecast reaches the quota, halfway there. After
    /// <paramref name="unreachedInARow"/> cycles that could not reach every member, after
    /// <see cref="FirstRetry"/> doubled for each but the first: a member back from a restart must
    /// not be reported down, nor the policy left unmaintained, for a whole interval, and a wrong
    /// password must not have etcd check it every few seconds for ever.
    /// </summary>
    public static TimeSpan NextCycleIn(HygienePolicy policy, CycleResult result, Forecast? forecast, DateTimeOffset now, int unreachedInARow = 0)
    {
        var due = DueIn(policy, result, forecast, now);
        return unreachedInARow > 0 ? Min(due, FirstRetry * Math.Pow(2, Math.Min(unreachedInARow - 1, 20))) : due;
    }

    private static TimeSpan DueIn(HygienePolicy policy, CycleResult result, Forecast? forecast, DateTimeOffset now)
    {
        var interval = policy.Compaction.Interval;
        if (policy.DryRun || policy.Suspend)
        {
            return interval;
        }
        if (result.Final.HasNoSpaceAlarm)
        {
            var personMustAct = result.Notes.Any(n => n.Code is NoteCode.NoSpacePersists or NoteCode.DisarmDisabled or NoteCode.CorruptAlarm);
            return Min(interval, personMustAct ? NoSpaceRetry : policy.Alarms.CheckInterval);
        }
        if (forecast?.QuotaReachedAt is { } full && full - now < interval)
        {
            var half = (full - now) / 2;
            return Min(interval, half > policy.Alarms.CheckInterval ? half : policy.Alarms.CheckInterval);
        }
        return interval;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

}
