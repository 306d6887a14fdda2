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
/// waited longer than a second, with etcd's own error text: the first step to a loss-free
/// procedure (issue 19). Prints; it is not part of "all" yet.
/// </summary>
internal static class LeaderTransferBenchmark
{
    private static readonly TimeSpan PutEvery = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan PutTimeout = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(int transfers)
    {
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
        Console.WriteLine($"etcd {EtcdBinary.Version()}: {transfers} transfers ({moments.Count(m => m.Error is null)} succeeded, median {Median(moments.Select(m => m.Took)).TotalMilliseconds:0} ms), " +
            $"{all.Count} puts: {failed.Count} failed, {slow.Count} slower than 1 s, slowest {all.Max(o => o.Latency).TotalSeconds:0.00} s");
        foreach (var group in failed.GroupBy(f => (f.Member, f.Error)))
        {
            Console.WriteLine($"  failed through {group.Key.Member} x{group.Count()}: {group.Key.Error}");
        }
        foreach (var s in slow)
        {
            var transfer = moments.LastOrDefault(m => m.At <= s.At + TimeSpan.FromSeconds(1));
            Console.WriteLine($"  slow through {s.Member}: {s.Latency.TotalSeconds:0.00} s, started {(s.At - transfer.At).TotalMilliseconds:0} ms after a transfer");
        }
        var withLoss = moments.Count(m => failed.Any(f => f.At >= m.At - TimeSpan.FromMilliseconds(100) && f.At < m.At + TimeSpan.FromSeconds(1)));
        Console.WriteLine($"  transfers with a failed put within 1 s: {withLoss} of {transfers}");
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
