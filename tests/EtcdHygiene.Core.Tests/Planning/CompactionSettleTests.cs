using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using static EtcdHygiene.Core.Tests.Planning.Given;

namespace EtcdHygiene.Core.Tests.Planning;

/// <summary>When the look after a compaction may be planned from.</summary>
public sealed class CompactionSettleTests
{
    [Fact]
    public void Settled_OnlyOnceEveryMemberAppliedTheCompaction_AndItsInUseSizeStoppedFalling()
    {
        var before = Three(At(900, 1), At(900, 1), At(900, 1));
        var oneBehind = Three(At(300, 2), At(300, 2), At(900, 1));
        var applied = Three(At(300, 2), At(300, 2), At(300, 2));
        var stillFalling = Three(At(300, 2), At(300, 2), At(600, 2));

        Assert.False(CompactionSettle.Settled(before, oneBehind, oneBehind));
        Assert.False(CompactionSettle.Settled(before, stillFalling, applied));
        Assert.True(CompactionSettle.Settled(before, applied, applied));
    }

    [Fact]
    public void OrdinaryTraffic_DoesNotKeepACompactionFromSettling()
    {
        var before = Three(At(900, 1), At(900, 1), At(900, 1));
        var applied = Three(At(300, 2), At(300, 2), At(300, 2));
        var aFewWritesLater = applied.Replace(applied.Members[0] with
        {
            Status = applied.Members[0].Status! with { DbSizeInUseBytes = applied.Members[0].Status!.DbSizeInUseBytes + 8 * MiB },
        });

        Assert.True(CompactionSettle.Settled(before, applied, aFewWritesLater));
    }

    private static (long InUseMiB, long Compactions) At(long inUseMiB, long compactions) => (inUseMiB, compactions);

    /// <summary>Three members led by m1, 1 GiB files, with the given in-use sizes and compactions applied.</summary>
    private static ClusterSnapshot Three((long InUseMiB, long Compactions) a, (long InUseMiB, long Compactions) b, (long InUseMiB, long Compactions) c) =>
        Cluster(With(1, a), With(2, b), With(3, c));

    private static MemberSnapshot With(ulong id, (long InUseMiB, long Compactions) sizes) =>
        Member(id, 1, 1024, sizes.InUseMiB) with { FinishedCompactions = sizes.Compactions };
}
