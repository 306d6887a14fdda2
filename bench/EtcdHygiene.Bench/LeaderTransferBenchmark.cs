using System.Diagnostics;
using dotnet_etcd;
using EtcdHygiene.Etcd;
using EtcdHygiene.Testing.Etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdHygiene.Bench;

/// <summary>
/// What a leadership transfer costs the writers: many MoveLeader calls (as etcd-hygiene makes
/// before defragmenting a leader) under puts every 10 ms through each member, as registry clients
/// spread over the members write. Counts, per transfer, the puts that failed and the puts that
/// waited longer than a second, with etcd's own error text: why <c>moveLeader</c> is off by default.
/// </summary>
internal static class LeaderTransferBenchmark
{
    private static readonly TimeSpan PutEvery = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan PutTimeout = TimeSpan.FromSeconds(10);

    public const int DefaultTransfers = 50;

    public static async Task<Report> RunAsync(int transfers)
    {
        var report = new Report("4. What a leadership transfer costs the writers");
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        await using var etcd = new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls });
        var outcomes = new List<(DateTimeOffset At, string Member, TimeSpan Latency, string? Error)>();
        using var stop = new CancellationTokenSource();
        var writers = cluster.Members.Select(member => WriteAsync(cluster.ClientFor(member), member.Name, outcomes, stop.Token)).ToList();
        await Task.Delay(TimeSpan.FromSeconds(2));

        var moments = new List<(DateTimeOffset At, TimeSpan Took, string? Error)>();
        for (var i = 0; i < transfers; i++)
        {
            var snapshot = await etcd.ObserveAsync();
            var target = snapshot.Members.Where(m => !m.IsLeader && m.Reachable).OrderBy(_ => Random.Shared.Next()).First();
            var at = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            string? error = null;
            try
            {
                await etcd.MoveLeaderAsync(target.Id);
            }
            catch (EtcdOperationException e)
            {
                error = e.Message;
            }
            moments.Add((at, clock.Elapsed, error));
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        await Task.Delay(PutTimeout);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        List<(DateTimeOffset At, string Member, TimeSpan Latency, string? Error)> all;
        lock (outcomes)
        {
            all = outcomes.ToList();
        }
        var failed = all.Where(o => o.Error is not null).ToList();
        var slow = all.Where(o => o.Error is null && o.Latency > TimeSpan.FromSeconds(1)).ToList();
        var withLoss = moments.Count(m => failed.Any(f => f.At >= m.At - TimeSpan.FromMilliseconds(100) && f.At < m.At + TimeSpan.FromSeconds(1)));
        report.Line($"A 3-member cluster; a client on every member puts every {PutEvery.TotalMilliseconds:0} ms (timeout {PutTimeout.TotalSeconds:0} s, beyond etcd's own); " +
            $"{transfers} `MoveLeader` calls to a random follower, one a second, as etcd-hygiene makes with `moveLeader: true`.");
        report.Line("");
        report.Table(["transfers", "transfer took (median)", "puts", "failed", "waited > 1 s", "slowest put", "transfers that cost a failed put"],
        [[
            $"{moments.Count(m => m.Error is null)} of {transfers} succeeded", Report.Millis(Median(moments.Select(m => m.Took))), all.Count.ToString(),
            failed.Count.ToString(), slow.Count.ToString(), Report.Seconds(all.Max(o => o.Latency)), $"{withLoss} of {transfers}",
        ]]);
        foreach (var group in failed.GroupBy(f => f.Error))
        {
            report.Line($"- failed x{group.Count()}: `{group.Key}`");
        }
        report.Line("");
        report.Line("Why: while leadership moves, the old leader drops the proposals it holds (\"raft proposal dropped\") and the ones followers forward to it " +
            "(their clients wait out etcd's request timeout), and clientv3 does not retry a put that may have been proposed. So etcd-hygiene defragments the leader in place by default.");
        report.Line("");
        return report;
    }

    private static async Task WriteAsync(EtcdClient client, string member, List<(DateTimeOffset, string, TimeSpan, string?)> outcomes, CancellationToken stop)
    {
        var value = ByteString.CopyFrom(new byte[1024]);
        var inFlight = new List<Task>();
        using var timer = new PeriodicTimer(PutEvery);
        var n = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var key = ByteString.CopyFromUtf8($"/transfer/{member}/{n++ % 100}");
                inFlight.Add(Task.Run(async () =>
                {
                    var at = DateTimeOffset.UtcNow;
                    var clock = Stopwatch.StartNew();
                    string? error = null;
                    try
                    {
                        await client.PutAsync(new PutRequest { Key = key, Value = value }, deadline: DateTime.UtcNow + PutTimeout);
                    }
                    catch (RpcException e)
                    {
                        error = $"{e.StatusCode}: {e.Status.Detail}";
                    }
                    lock (outcomes)
                    {
                        outcomes.Add((at, member, clock.Elapsed, error));
                    }
                }));
                inFlight.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(inFlight);
    }

    private static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? TimeSpan.Zero : sorted[sorted.Count / 2];
    }
}
