using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using static EtcdHygiene.Core.Tests.Planning.Given;

namespace EtcdHygiene.Core.Tests.Planning;

/// <summary>Kept state belongs to one etcd cluster: another cluster's, or revisions this one cannot have, are dropped, never trusted.</summary>
public sealed class KeptStateBindingTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static ClusterSnapshot ClusterWithId(ulong id, long revision) =>
        Three().WithRevision(revision) is var snapshot
            ? snapshot with { Members = snapshot.Members.Select(m => m with { Status = m.Status! with { ClusterId = id } }).ToList() }
            : throw new InvalidOperationException();

    private static readonly HygieneState Kept = new()
    {
        ClusterId = "abc",
        Samples = [new RevisionSample(Noon.AddMinutes(-30), 5000)],
        LastCompactedRevision = 6119,
        LastCompactionTime = Noon.AddMinutes(-5),
    };

    [Fact]
    public void StateOfAnotherCluster_IsDropped_AndTheReasonNamesBoth()
    {
        var bound = Kept.BoundTo(ClusterWithId(0xdef, 7000), out var dropped);

        Assert.Equal(("def", 0, null, null), (bound.ClusterId, bound.Samples.Count, bound.LastCompactedRevision, bound.LastCompactionTime));
        Assert.Contains("cluster abc", dropped);
        Assert.Contains("cluster def", dropped);
    }

    [Fact]
    public void RevisionsTheClusterCannotHave_AreDropped_EvenUnderTheSameId()
    {
        var bound = Kept.BoundTo(ClusterWithId(0xabc, 4071), out var dropped);

        Assert.Null(bound.LastCompactedRevision);
        Assert.Empty(bound.Samples);
        Assert.Contains("revision 6119", dropped);
        Assert.Contains("at revision 4071", dropped);
    }

    [Fact]
    public void StateOfThisCluster_IsKept_AndStateWithoutAnId_IsBoundToIt()
    {
        Assert.Equal(Kept, Kept.BoundTo(ClusterWithId(0xabc, 7000), out var none));
        Assert.Null(none);

        var adopted = (Kept with { ClusterId = null }).BoundTo(ClusterWithId(0xabc, 7000), out var alsoNone);
        Assert.Equal(Kept, adopted);
        Assert.Null(alsoNone);
    }

    [Fact]
    public void AnUnreachableCluster_ChangesNothing()
    {
        var unreachable = Cluster(Unreachable(Member(1, 1)));

        Assert.Equal(Kept, Kept.BoundTo(unreachable, out var dropped));
        Assert.Null(dropped);
    }
}
