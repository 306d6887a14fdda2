using EtcdHygiene.Etcd;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Workloads;
using Etcdserverpb;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// Safety rule 3 on real etcd: a member carrying the CORRUPT alarm (raised through etcd's own
/// Alarm RPC, as its corruption check does) freezes everything. The cluster is also at NOSPACE,
/// where etcd-hygiene would otherwise compact, defragment and disarm at once.
/// </summary>
public sealed class CorruptAlarmTests
{
    [Fact]
    public async Task ACorruptMember_FreezesEverything_EvenAtNoSpace_AndEveryFrontEndSaysSo()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 16L << 20 });
        await new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions { Services = 10, NodesPerService = 5, Writers = 8 }).FillUntilNoSpaceAsync();
        var client = cluster.CreateClient();
        var m2 = (await client.MemberListAsync(new MemberListRequest())).Members.Single(m => m.Name == "m2").ID;
        await client.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = m2, Alarm = AlarmType.Corrupt });
        await using var etcd = new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls });
        var before = await SnapshotComparison.SettledAsync(etcd);
        Assert.Contains(before.Alarms, a => a.Alarm == Core.Observation.AlarmKind.Corrupt);

        // check: a person must act, and why.
        using var folder = new PolicyFolder();
        var policy = folder.Write("corrupt", cluster.ClientUrls);
        var (exit, output, errors) = await CliProcess.RunAsync("check", "--policy", policy, "--state-dir", folder.StateDirectory);
        Assert.True(exit == 3, $"exit {exit}{Environment.NewLine}{output}{errors}");
        Assert.Contains("CorruptAlarm", output);
        Assert.Contains("m2 raised the CORRUPT alarm", output);

        // run --once: the same, and nothing done.
        var (runExit, _, runErrors) = await CliProcess.RunAsync("run", "--once", "--policy", policy, "--state-dir", folder.StateDirectory);
        Assert.True(runExit == 3, runErrors);
        Assert.DoesNotContain(": Compact to revision", runErrors);
        Assert.DoesNotContain(": Defragment ", runErrors);

        // The operator: condition, Warning event and metric, and nothing done either.
        await using var kube = await OperatorFixture.StartAsync();
        var metrics = new Prometheus.CollectorRegistry();
        kube.StartReplica(metrics: metrics);
        kube.ApplyPolicy("registry", cluster.ClientUrls);
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "Ready", "False") && kube.EventsOf("registry").Any(e => e.Reason == "CorruptAlarm"),
            what: "Ready False and a CorruptAlarm event", describe: () => kube.Policy("registry")?["status"]?.ToJsonString() ?? "no status");
        var ready = kube.Condition("registry", "Ready")!;
        Assert.Equal("CorruptAlarm", (string?)ready["reason"]);
        Assert.Contains("never disarms CORRUPT", (string?)ready["message"]);
        Assert.Equal("Warning", kube.EventsOf("registry").First(e => e.Reason == "CorruptAlarm").Type);
        var scraped = await OperatorFixture.ScrapeAsync(metrics);
        Assert.Contains("etcd_hygiene_alarm_active{namespace=\"registry\",policy=\"registry\",member=\"m2\",alarm=\"CORRUPT\"} 1", scraped);

        // Nothing was compacted, defragmented or disarmed: etcd looks as it did, both alarms included.
        var after = await etcd.ObserveAsync();
        Assert.DoesNotContain(SnapshotComparison.Differences(before, after), d => !d.StartsWith("alarms:", StringComparison.Ordinal));
        // No alarm went away; etcd itself may raise NOSPACE on one more member meanwhile.
        Assert.All(before.Alarms, alarm => Assert.Contains(alarm, after.Alarms));
        Assert.DoesNotContain(kube.EventsOf("registry"), e => e.Reason is "Compacted" or "EmergencyCompaction" or "Defragmented" or "NoSpaceDisarmed" or "LeaderMoved");
        Assert.Empty(new MaintenanceAudit(cluster).Compactions);
        Assert.Empty(new MaintenanceAudit(cluster).Defragmentations);
    }
}
