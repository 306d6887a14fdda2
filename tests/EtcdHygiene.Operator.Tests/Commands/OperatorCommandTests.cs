using System.Net.Http;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Operator.Tests.Commands;

/// <summary><c>etcd-hygiene operator</c> as a pod runs it: kubeconfig, probes, metrics, SIGTERM.</summary>
[Trait("Etcd", "AnyVersion")]
public sealed class OperatorCommandTests
{
    [Fact]
    public async Task TheOperatorProcess_ReconcilesServesProbesAndMetrics_AndStopsCleanlyOnSigterm()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await using var kube = await OperatorFixture.StartAsync();
        var kubeconfig = kube.WriteKubeconfig();
        var ports = FreePorts.Take(2);
        try
        {
            kube.ApplyPolicy("registry", cluster.ClientUrls);
            await using var process = CliProcess.Start("operator", "--kubeconfig", kubeconfig, "--tenancy-config", kube.TenancyConfig(), "--leader-elect", "--leader-election-namespace", "registry",
                "--metrics-bind-address", $"127.0.0.1:{ports[0]}", "--health-probe-bind-address", $"127.0.0.1:{ports[1]}");

            await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "Ready", "True"), what: "Ready through the operator process", describe: () => process.Errors + process.Output);
            using var http = new HttpClient();
            Assert.Equal("ok", await http.GetStringAsync($"http://127.0.0.1:{ports[1]}/healthz"));
            Assert.Equal("ok", await http.GetStringAsync($"http://127.0.0.1:{ports[1]}/readyz"));
            Assert.Contains("process_cpu_seconds_total", await http.GetStringAsync($"http://127.0.0.1:{ports[0]}/metrics"));
            Assert.NotNull(kube.Api.Get(new("apis/coordination.k8s.io/v1", "leases"), "registry", "etcd-hygiene-leader"));

            process.Terminate();
            Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    [Fact]
    public async Task Help_DocumentsEveryFlag()
    {
        var (exit, output, _) = await CliProcess.RunAsync("operator", "--help");

        Assert.Equal(0, exit);
        foreach (var flag in new[] { "--kubeconfig", "--namespace", "--leader-elect", "--leader-election-namespace", "--leader-election-id",
            "--metrics-bind-address", "--health-probe-bind-address", "--workers", "--shutdown-grace-period", "--log-format" })
        {
            Assert.Contains(flag, output);
        }
    }
}
