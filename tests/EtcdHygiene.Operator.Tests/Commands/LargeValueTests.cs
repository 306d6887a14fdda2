using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using dotnet_etcd;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Operator.Tests.Commands;

/// <summary>
/// Any value etcd accepts is analysed: 1.4 MiB JSON values (etcd's default limit is 1.5 MiB), each
/// written three times with its array reordered. Replayed history batches several of them into one
/// watch response, far past gRPC's default 4 MiB receive limit.
/// </summary>
public sealed class LargeValueTests
{
    private const int Keys = 6;
    private const int Rounds = 3;

    [Fact]
    public async Task Analyze_ReplaysEveryLargeValue_AndFinishes()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await WriteLargeValuesAsync(cluster.CreateClient());

        var (exit, output, errors) = await CliProcess.RunAsync("analyze", "--endpoints", cluster.ClientUrls[0], "--prefix", "/big/", "--output", "json");

        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{errors}");
        var report = JsonNode.Parse(output)!;
        Assert.Equal(Keys * Rounds, report["analysedWrites"]!.GetValue<long>());
        var group = report["groups"]![0]!;
        Assert.Equal("/big/svc/*", group["keyGroup"]!.GetValue<string>());
        Assert.Equal("0.67", group["reorderOnlyRatio"]!.GetValue<string>());
    }

    [Fact]
    public async Task Run_AnalysesEveryLargeValue_WhileItsCyclesGoOn()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await WriteLargeValuesAsync(cluster.CreateClient());
        using var folder = new PolicyFolder();
        var port = FreePorts.Take(1)[0];
        var policy = folder.WriteDefaults("big", cluster.ClientUrls, """
              compaction: { interval: 2s }
              analysis: { prefixes: ["/big/"] }
            """);
        await using var run = CliProcess.Start("run", "--policy", policy, "--state-dir", folder.StateDirectory, "--metrics-bind-address", $"127.0.0.1:{port}");

        // Each cycle publishes what the analysis has read so far.
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var analysed = "";
        while (DateTime.UtcNow < deadline && !analysed.EndsWith($" {Keys * Rounds}", StringComparison.Ordinal))
        {
            await Task.Delay(500);
            analysed = (await Scrape(http, port)).Split('\n').FirstOrDefault(l => l.StartsWith("etcd_hygiene_analyzed_writes_total{", StringComparison.Ordinal)) ?? "";
        }

        Assert.True(analysed.EndsWith($" {Keys * Rounds}", StringComparison.Ordinal), $"analysed: '{analysed}'{Environment.NewLine}{run.Errors}");
        Assert.Matches("cycle succeeded", run.Errors);
        Assert.DoesNotContain("watch on", run.Errors);
    }

    private static async Task<string> Scrape(HttpClient http, int port)
    {
        try
        {
            return await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }

    /// <summary>Six keys of 1.4 MiB, three writes each; every rewrite only reverses the array.</summary>
    private static async Task WriteLargeValuesAsync(EtcdClient client)
    {
        var items = Enumerable.Range(0, 1400).Select(i => $"{i:0000}-{new string('x', 1000)}").ToArray();
        for (var round = 0; round < Rounds; round++)
        {
            var value = JsonSerializer.Serialize(new { name = "svc", items = round % 2 == 0 ? items : items.Reverse().ToArray() });
            Assert.InRange(Encoding.UTF8.GetByteCount(value), 1_400_000, 1_500_000);
            for (var k = 0; k < Keys; k++)
            {
                await client.PutAsync($"/big/svc/node-{k}", value);
            }
        }
    }
}
