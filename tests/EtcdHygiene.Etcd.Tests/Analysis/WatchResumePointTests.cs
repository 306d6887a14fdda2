using EtcdHygiene.Etcd.Analysis;

namespace EtcdHygiene.Etcd.Tests.Analysis;

/// <summary>
/// A watch that breaks between two fragments of one revision resumes at that revision; etcd then
/// delivers the whole revision again, and each write must still be counted once.
/// </summary>
public sealed class WatchResumePointTests
{
    [Fact]
    public void ABreakInsideARevision_ResumesAtIt_AndPassesOverWhatWasDelivered()
    {
        var point = new WatchResumePoint(10);
        point.Reopen();
        // Fragment 1: revision 10 whole, and two of revision 11's three writes.
        Assert.True(point.Deliver(10, inFragment: true));
        Assert.True(point.Deliver(11, inFragment: true));
        Assert.True(point.Deliver(11, inFragment: true));
        Assert.Equal(11, point.Next);

        // The stream breaks; the new one starts at 11 and brings all three of its writes.
        point.Reopen();
        Assert.False(point.Deliver(11, inFragment: false));
        Assert.False(point.Deliver(11, inFragment: false));
        Assert.True(point.Deliver(11, inFragment: false));
        Assert.True(point.Deliver(12, inFragment: false));
        Assert.Equal(13, point.Next);
    }

    [Fact]
    public void ARevisionOverThreeFragments_BrokenAfterTheSecond_PassesOverBoth()
    {
        var point = new WatchResumePoint(5);
        point.Reopen();
        Assert.True(point.Deliver(5, inFragment: true));
        Assert.True(point.Deliver(5, inFragment: true));
        point.Reopen();
        Assert.False(point.Deliver(5, inFragment: true));
        Assert.False(point.Deliver(5, inFragment: true));
        Assert.True(point.Deliver(5, inFragment: true));
        point.Reopen();

        var delivered = new[] { 5, 5, 5, 5 }.Count(revision => point.Deliver(revision, inFragment: false));

        Assert.Equal(1, delivered);
        Assert.Equal(6, point.Next);
    }

    [Fact]
    public void ABreakAfterAWholeResponse_ResumesAfterIt_AndPassesOverNothing()
    {
        var point = new WatchResumePoint(1);
        point.Reopen();
        Assert.True(point.Deliver(3, inFragment: false));
        Assert.True(point.Deliver(3, inFragment: false));

        point.Reopen();

        Assert.Equal(4, point.Next);
        Assert.True(point.Deliver(4, inFragment: false));
    }

    [Fact]
    public void AfterACompaction_TheWatchGoesOnAfterIt_WithNothingToPassOver()
    {
        var point = new WatchResumePoint(1);
        point.Reopen();
        Assert.True(point.Deliver(7, inFragment: true));

        // The new stream was cancelled: history up to 9 is gone, and its keys were learnt again at 9.
        point.Restart(10);
        point.Reopen();

        Assert.Equal(10, point.Next);
        Assert.True(point.Deliver(10, inFragment: false));
        Assert.Equal(11, point.Next);
    }
}
