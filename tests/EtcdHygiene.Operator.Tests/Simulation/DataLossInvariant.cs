using EtcdHygiene.Core.Policy;
using EtcdHygiene.Testing.Simulation;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// Rule 10, as far as the tool can break it: a maintenance cycle loses no acknowledged write. etcd
/// loses them in one known way a maintenance tool can cause: a member that crashes during an
/// online defragmentation on a version its advisory names (the world says which,
/// <see cref="SimulatedClusterOptions.DefragCrashLosesWrites"/>). So no defragmentation may be in
/// flight on such a version, but for a policy that allows it knowingly (allowUnsafeEtcdVersions).
/// Everything else the tool sends keeps every value (compaction drops only superseded history); the
/// soak checks that against real etcd write by write.
/// </summary>
internal static class DataLossInvariant
{
    public static IEnumerable<Violation> Check(SimulatedEtcdCluster cluster, IReadOnlyDictionary<string, HygienePolicy> policies)
    {
        foreach (var crash in cluster.DefragmentationCrashes)
        {
            ExplorerTally.DefragmentationCrash(crash.LostWrites);
            if (!crash.LostWrites)
            {
                continue;
            }
            var sent = cluster.Operations.Where(o => o.Kind == SimulatedOperationKind.Defragment && o.MemberId == crash.MemberId && o.Started <= crash.At)
                .OrderByDescending(o => o.Started).FirstOrDefault();
            if (sent is null || policies.GetValueOrDefault(sent.Actor)?.Defragmentation.AllowUnsafeEtcdVersions == true)
            {
                continue; // taken knowingly
            }
            yield return new Violation(10, crash.At,
                $"{crash.MemberId:x} crashed while {sent.Actor} defragmented it, on an etcd version whose advisory says a crash then loses acknowledged writes");
        }
    }
}
