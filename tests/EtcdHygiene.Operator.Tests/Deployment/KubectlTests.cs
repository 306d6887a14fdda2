using System.Text.RegularExpressions;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Kubernetes;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Operator.Tests.Deployment;

/// <summary>
/// kubectl (the real binary) as the client of the test API server: what a person types after
/// installing the chart — apply the samples, get the policies with their printer columns, describe
/// one with its conditions and events — and what a mistake in a manifest looks like.
/// </summary>
[Trait("Etcd", "AnyVersion")]
public sealed partial class KubectlTests : IAsyncLifetime
{
    private static readonly string Root = RepositoryRoot.Find();
    private OperatorFixture _kube = null!;
    private string _kubeconfig = null!;
    private string _scratch = null!;

    public async Task InitializeAsync()
    {
        _kube = await OperatorFixture.StartAsync();
        _kubeconfig = _kube.WriteKubeconfig();
        _scratch = Directory.CreateTempSubdirectory("etcd-hygiene-kubectl-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _kube.DisposeAsync();
        File.Delete(_kubeconfig);
        Directory.Delete(_scratch, recursive: true);
    }

    [Theory]
    [InlineData("bitnami-etcd.yaml", "registry", "registry-etcd", "spec.defragmentation.pauseBetweenMembers", "10s")]
    [InlineData("go-micro-registry.yaml", "registry", "go-micro-registry", "spec.etcd.requestTimeout", "10s")]
    [InlineData("local-demo.yaml", "default", "local-demo", "spec.analysis.window", "10m")]
    [InlineData("tls-and-auth.yaml", "registry", "secured-etcd", "spec.compaction.interval", "5m")]
    public async Task EverySample_IsAppliedByKubectl_AndStoredWithTheSchemasDefaults(string sample, string ns, string name, string defaulted, string value)
    {
        var (exit, output, errors) = await Kubectl("apply", "-f", Path.Combine(Root, "config", "samples", sample));

        Assert.True(exit == 0, errors);
        Assert.Contains($"registrypolicy.etcdhygiene.io/{name} created", output);
        var stored = _kube.Api.Get(OperatorFixture.Policies, ns, name);
        Assert.NotNull(stored);
        Assert.Equal(value, FieldPath.Find(stored, defaulted)?.ToString()); // a default of the schema, not in the sample

        var again = await Kubectl("apply", "-f", Path.Combine(Root, "config", "samples", sample));
        Assert.Contains($"registrypolicy.etcdhygiene.io/{name} unchanged", again.Output);
    }

    [Fact]
    public async Task APolicyNamingOnlyItsEndpoints_IsStoredWithEveryDefault_AsKubectlGetShowsIt()
    {
        var manifest = Path.Combine(_scratch, "minimal.yaml");
        File.WriteAllText(manifest, $$"""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata: { name: minimal, namespace: {{OperatorFixture.Ns}} }
            spec:
              etcd: { endpoints: ["http://127.0.0.1:2379"] }
            """);
        Assert.Equal(0, (await Kubectl("apply", "-f", manifest)).ExitCode);

        var (exit, yaml, errors) = await Kubectl("get", "rp", "minimal", "-n", OperatorFixture.Ns, "-o", "yaml");

        Assert.True(exit == 0, errors);
        var spec = YamlJson.ToJson(yaml)["spec"]!;
        var policy = PolicyFile.Parse(yaml, "minimal"); // what is shown is what the operator will do
        Assert.Equal(GoDuration.Format(policy.Compaction.Retention), (string?)spec["compaction"]!["retention"]);
        Assert.Equal(policy.Defragmentation.MinFragmentationRatio, (double?)spec["defragmentation"]!["rule"]!["minFragmentationRatio"]);
        Assert.Equal(GoDuration.Format(policy.Alarms.CheckInterval), (string?)spec["alarms"]!["checkInterval"]);
        Assert.Equal(GoDuration.Format(policy.Analysis.Window), (string?)spec["analysis"]!["window"]);
        Assert.Null(spec["etcd"]!["tlsSecretRef"]); // an optional reference stays absent
    }

    [Fact]
    public async Task GetAndDescribe_ShowWhatARealReconcileWrote()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await EtcdData.FragmentAsync(cluster.CreateClient());
        // A registry keeps writing, as real ones do: etcd counts the pages a compaction freed as
        // free only after later commits, and without them the cycle could find nothing to defragment.
        using var stop = new CancellationTokenSource();
        var writing = new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions
        {
            Services = 2, NodesPerService = 2, Writers = 1, ReRegisterInterval = TimeSpan.FromMilliseconds(50),
        }).RunAsync(stop.Token);
        _kube.StartReplica();
        var manifest = Path.Combine(_scratch, "policy.yaml");
        File.WriteAllText(manifest, $$"""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata: { name: registry-etcd, namespace: {{OperatorFixture.Ns}} }
            spec:
              etcd: { endpoints: ["{{cluster.ClientUrls[0]}}"] }
              compaction: { mode: Revision, retainRevisions: 10 }
              defragmentation: { rule: { minFragmentationRatio: 0.2, minDbSizeBytes: 1Mi, minReclaimableBytes: 512Ki } }
            """);

        var applied = await Kubectl("apply", "-f", manifest);
        Assert.True(applied.ExitCode == 0, applied.Errors);
        try
        {
            await OperatorFixture.WaitUntilAsync(() => _kube.ConditionIs("registry-etcd", "Ready", "True")
                && _kube.Policy("registry-etcd")!["status"]?["lastDefrag"] is not null, what: "reconciled, defragmented",
                describe: () => _kube.Policy("registry-etcd")?["status"]?.ToJsonString() ?? "no status");
        }
        finally
        {
            await stop.CancelAsync();
            await writing;
        }

        var (exit, table, errors) = await Kubectl("get", "rp", "-A");
        Assert.True(exit == 0, errors);
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAMESPACE\s+NAME\s+READY\s+LARGEST DB\s+QUOTA %\s+ALARM\s+LAST DEFRAG\s+AGE\s*$", lines[0]);
        Assert.Matches($@"^{OperatorFixture.Ns}\s+registry-etcd\s+True\s+\d+(\.\d+)? [KM]iB\s+\d+\s+(<none>\s+)?\d+s\s+\d+s\s*$", lines[1]);

        var described = await Kubectl("describe", "rp", "registry-etcd", "-n", OperatorFixture.Ns);
        Assert.True(described.ExitCode == 0, described.Errors);
        Assert.Matches(@"Conditions:(.|\n)*Type:\s+Ready", described.Output);
        var events = described.Output[described.Output.IndexOf("Events:", StringComparison.Ordinal)..];
        Assert.Matches(@"Normal\s+Compacted\s+", events);
        Assert.Matches(@"Normal\s+Defragmented\s+", events);
    }

    [Theory]
    [InlineData("compaction: { mode: Sometimes }", @"The RegistryPolicy ""hostile"" is invalid: spec.compaction.mode: Unsupported value: ""Sometimes""")]
    [InlineData("alarms: { disarmBelowQuotaRatio: 1.5 }", @"spec.alarms.disarmBelowQuotaRatio: Invalid value: 1.5: spec.alarms.disarmBelowQuotaRatio in body should be less than or equal to 1")]
    [InlineData("etcd: { endpoints: [\"http://127.0.0.1:2379\"], requestTimeout: 10s, defragTimeout: 1s }", @"spec.etcd: Invalid value: ""object"": defragTimeout must not be shorter than requestTimeout")]
    [InlineData("compaction: { retentionn: 1h }", @"strict decoding error: unknown field ""spec.compaction.retentionn""")]
    [InlineData("defragmentation: { schedule: every night }", @"spec.defragmentation.schedule: Invalid value: ""object"": schedule must be a cron expression of five fields (minute hour day-of-month month day-of-week, in UTC), e.g. ""0 3 * * *""")]
    [InlineData("defragmentation: { schedule: \"0 3 * *\" }", "schedule must be a cron expression of five fields")]
    public async Task AHostileManifest_IsRefusedByKubectlApply_NamingTheField(string specLine, string message)
    {
        var manifest = Path.Combine(_scratch, "hostile.yaml");
        File.WriteAllText(manifest, $$"""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata: { name: hostile, namespace: {{OperatorFixture.Ns}} }
            spec:
              {{(specLine.StartsWith("etcd:") ? specLine : "etcd: { endpoints: [\"http://127.0.0.1:2379\"] }\n  " + specLine)}}
            """);

        var (exit, _, errors) = await Kubectl("apply", "-f", manifest);

        Assert.NotEqual(0, exit);
        Assert.Contains(message, errors);
        Assert.Null(_kube.Api.Get(OperatorFixture.Policies, OperatorFixture.Ns, "hostile"));
    }

    private Task<(int ExitCode, string Output, string Errors)> Kubectl(params string[] arguments) =>
        ExternalTool.RunAsync("kubectl", ["--kubeconfig", _kubeconfig, "--cache-dir", Path.Combine(_scratch, "cache"), .. arguments]);
}
