using System.Text;
using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Core.Tests.Analysis;

public sealed class ChurnAnalyzerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private long _revision = 100;

    [Fact]
    public void EachWriterPattern_IsClassifiedAndGroupedByService()
    {
        var analyzer = new ChurnAnalyzer(new ChurnAnalyzerOptions(), T0);
        var greeter = Entry("greeter");
        var billing = Entry("billing");
        var orders = Entry("orders");
        for (var i = 0; i < 120; i++)
        {
            Put(analyzer, greeter.Key, greeter.Render(i % 2 == 1), i == 0 ? 1 : i + 1, T0.AddSeconds(i * 0.5));
        }
        for (var i = 0; i < 60; i++)
        {
            Put(analyzer, billing.Key, billing.Render(false), i + 1, T0.AddSeconds(i));
            Put(analyzer, orders.Key, orders.Render(false, load: i.ToString()), i + 1, T0.AddSeconds(i));
        }

        var report = analyzer.Report(T0.AddMinutes(1));

        Assert.Equal(["/micro/registry/greeter/*", "/micro/registry/billing/*", "/micro/registry/orders/*"], report.Groups.Select(g => g.Group));
        var top = report.Groups[0];
        Assert.Equal(120, top.Writes);
        Assert.Equal(119, top.ByKind[WriteKind.ReorderOnlyRewrite]);
        Assert.Equal(1, top.ByKind[WriteKind.Created]);
        Assert.Equal(120, top.WritesPerMinute!.Value, 3);
        Assert.Equal(59.0 / 60, report.Groups[1].Share(WriteKind.IdenticalRewrite), 3);
        Assert.Equal(59, report.Groups[2].ByKind[WriteKind.Changed]);
        Assert.Equal([top], report.Churning);
        Assert.Equal(greeter.Key, report.Keys[0].Key);
        Assert.Equal(
            "/micro/registry/greeter/* is rewritten 120 times a minute; 99% of the writes only reorder $.endpoints " +
            "(the elements that swap places agree on metadata.subscriber, metadata.topic, request.name and differ on name): " +
            "the writer sorts them by a key with ties (an unstable sort); sorting by a unique field such as name ends the churn; " +
            $"that is {EtcdHygiene.Core.Policy.Quantity.FormatBytes((long)top.HistoryBytesPerHour!.Value)} of history an hour",
            ChurnRule.Describe(top));
        // One key, so every reorder was examined: all of them swap $.endpoints.
        var path = Assert.Single(top.Paths);
        Assert.Equal(("$.endpoints", 119L, 119L), (path.Path, path.Writes, path.Examined));
        var changing = report.Groups[2];
        Assert.Equal("$.nodes[0].metadata.load", Assert.Single(changing.Paths).Path);
        Assert.Equal("\"0\"", changing.Paths[0].Before);
        Assert.Equal(1.0, report.Groups.Sum(g => g.HistoryShare), 6);
    }

    [Fact]
    public void Groups_AreRankedByWaste_NotByWrites()
    {
        var analyzer = new ChurnAnalyzer(new ChurnAnalyzerOptions(), T0);
        var busy = Entry("busy");
        var wasteful = Entry("wasteful");
        for (var i = 0; i < 100; i++)
        {
            // 100 writes, 40 of them real changes, against 80 writes that are all no-ops but one.
            Put(analyzer, busy.Key, busy.Render(false, load: (i % 5 < 2 ? i : 0).ToString()), i + 1, T0.AddSeconds(i * 0.5));
            if (i < 80)
            {
                Put(analyzer, wasteful.Key, wasteful.Render(false), i + 1, T0.AddSeconds(i * 0.5));
            }
        }

        var report = analyzer.Report(T0.AddMinutes(1));

        Assert.Equal(["/micro/registry/wasteful/*", "/micro/registry/busy/*"], report.Groups.Select(g => g.Group));
        Assert.True(report.Groups[0].Writes < report.Groups[1].Writes);
    }

    [Fact]
    public void SeededKeys_AreComparedWithTheirValueBeforeTheAnalysis()
    {
        var analyzer = new ChurnAnalyzer(new ChurnAnalyzerOptions(), T0);
        var greeter = Entry("greeter");
        analyzer.Remember(Bytes(greeter.Key), Bytes(greeter.Render(false)), lease: 7);

        Assert.Equal(WriteKind.ReorderOnlyRewrite, Put(analyzer, greeter.Key, greeter.Render(true), version: 5, T0));
        Assert.Equal(WriteKind.Unknown, Put(analyzer, "/micro/registry/greeter/other", "{}", version: 3, T0));
    }

    [Fact]
    public void AKeyComingBackUnchangedUnderANewLease_IsLeaseRecreated()
    {
        var analyzer = new ChurnAnalyzer(new ChurnAnalyzerOptions(), T0);
        var greeter = Entry("greeter");
        Put(analyzer, greeter.Key, greeter.Render(false), version: 1, T0, lease: 7);
        Assert.Equal(WriteKind.Deleted, analyzer.Record(Bytes(greeter.Key), [], 0, 0, ++_revision, deleted: true, T0));
        Assert.Equal(WriteKind.LeaseRecreated, Put(analyzer, greeter.Key, greeter.Render(true), version: 1, T0, lease: 8));
        Assert.Equal(WriteKind.Created, Put(analyzer, greeter.Key, greeter.Render(false, load: "1"), version: 1, T0, lease: 9));
    }

    [Fact]
    public void UndatedHistory_CountsButNeverInRates_AndLeavesTheWindow()
    {
        var options = new ChurnAnalyzerOptions { Window = TimeSpan.FromMinutes(10) };
        var analyzer = new ChurnAnalyzer(options, T0);
        for (var i = 0; i < 700; i++)
        {
            Put(analyzer, "/r/a/k", "same", i + 1, at: null);
        }

        var replayed = analyzer.Report(T0.AddMinutes(1));
        Assert.Equal(TimeSpan.FromMinutes(1), replayed.Covered);
        Assert.Equal(700, replayed.Groups[0].UndatedWrites);
        Assert.Equal(0, replayed.Groups[0].WritesPerMinute);
        Assert.StartsWith("/r/a/* was rewritten 700 times in the analysed history; 99% of the writes repeat the same bytes", ChurnRule.Describe(replayed.Churning.Single()));

        var later = analyzer.Report(T0.AddMinutes(11));
        Assert.Equal(TimeSpan.FromMinutes(10), later.Covered);
        Assert.Empty(later.Groups);
        Assert.Equal(700, later.Events);
    }

    [Fact]
    public void QuietOrMostlyChangingGroups_DoNotChurn()
    {
        var analyzer = new ChurnAnalyzer(new ChurnAnalyzerOptions(), T0);
        for (var i = 0; i < 30; i++)
        {
            Put(analyzer, "/r/quiet/k", "same", i + 1, T0.AddSeconds(i * 2));
            Put(analyzer, "/r/busy/k", i % 3 == 0 ? "same" : $"v{i}", i + 1, T0.AddSeconds(i * 2));
        }

        Assert.Empty(analyzer.Report(T0.AddMinutes(1)).Churning);
    }

    [Fact]
    public void TrackedKeys_StayWithinTheCap()
    {
        var analyzer = new ChurnAnalyzer(new ChurnAnalyzerOptions { MaxTrackedKeys = 2048, CountersPerSlice = 16 }, T0);
        for (var i = 0; i < 10_000; i++)
        {
            Put(analyzer, $"/r/{i % 50}/k{i}", "{}", 1, T0);
        }

        var report = analyzer.Report(T0.AddSeconds(30));
        Assert.InRange(report.TrackedKeys, 1800, 2048 * 9 / 8);
        Assert.Equal(10_000 - report.TrackedKeys, report.EvictedKeys);
        Assert.Equal(10_000, report.Events);
        Assert.InRange(report.Groups.Count, 1, 10);
        Assert.True(report.ErrorBound > 0);
    }

    private WriteKind Put(ChurnAnalyzer analyzer, string key, string value, long version, DateTimeOffset? at, long lease = 7) =>
        analyzer.Record(Bytes(key), Bytes(value), lease, version, ++_revision, deleted: false, at);

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static GoMicroServiceEntry Entry(string service) => new(service, $"{service}-1", "10.0.0.7:41017");
}
