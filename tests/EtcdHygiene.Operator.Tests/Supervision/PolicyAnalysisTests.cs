using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Supervision;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Operator.Tests.Supervision;

public sealed class PolicyAnalysisTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AChurningGroup_IsAnnouncedOncePerWindow_UnlessAlways()
    {
        var policy = new HygienePolicy
        {
            Key = new PolicyKey("registry", "etcd"),
            Etcd = new EtcdSettings { Endpoints = ["http://127.0.0.1:1"] },
            Compaction = new CompactionSettings(),
            Defragmentation = new DefragmentationSettings(),
            Alarms = new AlarmSettings(),
            Analysis = new AnalysisSettings { Window = TimeSpan.FromMinutes(10) },
        };
        await using var analysis = new PolicyAnalysis(policy, new EtcdConnectionOptions { Endpoints = policy.Etcd.Endpoints }, [], TimeProvider.System, NullLogger.Instance);
        var analyzer = new ChurnAnalyzer(new ChurnAnalyzerOptions(), T0);
        for (var i = 0; i < 200; i++)
        {
            analyzer.Record("/r/a/k"u8, "same"u8, 1, i + 1, i + 1, false, T0.AddSeconds(i * 0.25));
        }
        var report = analyzer.Report(T0.AddMinutes(1));

        Assert.Null(analysis.Watcher); // no prefixes, no watch
        Assert.Single(analysis.ToAnnounce(report, T0.AddMinutes(1), always: false));
        Assert.Empty(analysis.ToAnnounce(report, T0.AddMinutes(5), always: false));
        Assert.Single(analysis.ToAnnounce(report, T0.AddMinutes(5), always: true));
        Assert.Single(analysis.ToAnnounce(report, T0.AddMinutes(16), always: false));
    }
}
