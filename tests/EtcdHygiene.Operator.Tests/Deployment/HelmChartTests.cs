using System.Text.Json.Nodes;
using EtcdHygiene.Operator.Controller;
using EtcdHygiene.Testing.Cli;
using k8s;
using k8s.Models;

namespace EtcdHygiene.Operator.Tests.Deployment;

/// <summary>The chart, checked with real helm: lint, render, model types, hardening, schema, RBAC.</summary>
public sealed class HelmChartTests
{
    private static readonly string Root = RepositoryRoot.Find();
    private static readonly string Chart = Path.Combine(Root, "charts", "etcd-hygiene");
    private static readonly string[] AllFeatures =
        ["--set", "replicaCount=2,metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true,dashboard.enabled=true"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LintStrict_Passes(bool allFeatures)
    {
        var (exit, output, errors) = await Helm(["lint", "--strict", Chart, .. allFeatures ? AllFeatures : []]);

        Assert.True(exit == 0, output + errors);
        Assert.Contains("0 chart(s) failed", output);
    }

    [Fact]
    public async Task EveryRenderedObject_DeserializesIntoItsModelType_AndTheDeploymentIsHardened()
    {
        var objects = await RenderAsync(AllFeatures);

        var kinds = objects.Select(o => (string)o["kind"]!).Order().ToList();
        Assert.Equal(["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "PodDisruptionBudget", "PrometheusRule", "Role", "RoleBinding", "Service", "ServiceAccount", "ServiceMonitor"], kinds);
        foreach (var obj in objects)
        {
            var text = obj.ToJsonString();
            object model = (string)obj["kind"]! switch
            {
                "Deployment" => KubernetesJson.Deserialize<V1Deployment>(text),
                "ServiceAccount" => KubernetesJson.Deserialize<V1ServiceAccount>(text),
                "ClusterRole" => KubernetesJson.Deserialize<V1ClusterRole>(text),
                "ClusterRoleBinding" => KubernetesJson.Deserialize<V1ClusterRoleBinding>(text),
                "Role" => KubernetesJson.Deserialize<V1Role>(text),
                "RoleBinding" => KubernetesJson.Deserialize<V1RoleBinding>(text),
                "Service" => KubernetesJson.Deserialize<V1Service>(text),
                "ConfigMap" => KubernetesJson.Deserialize<V1ConfigMap>(text),
                "PodDisruptionBudget" => KubernetesJson.Deserialize<V1PodDisruptionBudget>(text),
                // prometheus-operator kinds have no KubernetesClient model: their apiVersion must be right.
                "ServiceMonitor" or "PrometheusRule" => (string)obj["apiVersion"]! == "monitoring.coreos.com/v1" ? obj : throw new Xunit.Sdk.XunitException($"bad apiVersion {obj["apiVersion"]}"),
                var other => throw new Xunit.Sdk.XunitException($"unexpected kind {other}"),
            };
            Assert.NotNull(model);
        }

        var deployment = KubernetesJson.Deserialize<V1Deployment>(objects.Single(o => (string)o["kind"]! == "Deployment").ToJsonString());
        var pod = deployment.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
        Assert.Contains(container.VolumeMounts, m => m.MountPath == "/tmp");
        Assert.NotNull(pod.Volumes.Single(v => v.Name == "tmp").EmptyDir);
        Assert.Contains("--leader-elect", container.Args);
        var budget = KubernetesJson.Deserialize<V1PodDisruptionBudget>(objects.Single(o => (string)o["kind"]! == "PodDisruptionBudget").ToJsonString());
        Assert.Equal("1", budget.Spec.MaxUnavailable.Value);
        Assert.Equal(deployment.Spec.Selector.MatchLabels, budget.Spec.Selector.MatchLabels);
        Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal(330, pod.TerminationGracePeriodSeconds);
        var rules = objects.Single(o => (string)o["kind"]! == "PrometheusRule")["spec"]!["groups"]![0]!["rules"]!.AsArray();
        Assert.Equal(6, rules.Count);
    }

    [Fact]
    public async Task OneReplica_StillElectsALeader_SoThatARolloutsNewPodWaitsForTheOldOne()
    {
        var objects = await RenderAsync([]);
        var deployment = objects.Single(o => (string)o["kind"]! == "Deployment");

        Assert.Equal(1, (long)deployment["spec"]!["replicas"]!);
        var args = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Contains("--leader-elect", args);
        Assert.Contains("--leader-election-namespace=ops", args);
        Assert.DoesNotContain(objects, o => (string)o["kind"]! == "PodDisruptionBudget"); // it would block every drain
    }

    [Fact]
    public async Task WorkersAndExtraArgs_ReachTheOperatorsCommandLine()
    {
        var defaults = await RenderAsync([]);
        var objects = await RenderAsync(["--set", "workers=4", "--set", "extraArgs={--leader-election-id=team-a}"]);

        List<string> Args(List<JsonObject> rendered) => rendered.Single(o => (string)o["kind"]! == "Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!
            .AsArray().Select(a => (string)a!).ToList();
        Assert.Contains("--workers=2", Args(defaults));
        Assert.Contains("--workers=4", Args(objects));
        Assert.Contains("--leader-election-id=team-a", Args(objects));
        Assert.DoesNotContain(Args(defaults), a => a.StartsWith("--leader-election-id", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("replicaCount=two", true)]
    [InlineData("logFormat=xml", false)]
    [InlineData("replicas=2", false)]
    public async Task TheValuesSchema_RejectsWrongValues(string setting, bool asString)
    {
        var (exit, _, errors) = await Helm(["template", "t", Chart, asString ? "--set-string" : "--set", setting]);

        Assert.NotEqual(0, exit);
        Assert.Contains("values don't meet the specifications of the schema", errors);
    }

    [Theory]
    [InlineData("", "ClusterRole")]
    [InlineData("registry", "Role")]
    public async Task TheRenderedRbac_GrantsExactlyWhatTheCodeDeclares(string watchNamespace, string kind)
    {
        var objects = await RenderAsync(["--set", $"watchNamespace={watchNamespace}"]);

        var watched = objects.Single(o => (string)o["kind"]! == kind && !((string)o["metadata"]!["name"]!).EndsWith("-leader-election"));
        var leader = objects.Single(o => (string)o["kind"]! == "Role" && ((string)o["metadata"]!["name"]!).EndsWith("-leader-election"));
        Assert.Equal(Normalize(OperatorPermissions.Watched), Normalize(watched));
        Assert.Equal(Normalize(OperatorPermissions.LeaderElection), Normalize(leader));
        if (kind == "Role")
        {
            Assert.Equal("registry", (string?)watched["metadata"]!["namespace"]);
            Assert.DoesNotContain(objects, o => (string)o["kind"]! == "ClusterRole");
        }
    }

    [Theory]
    [InlineData("config/crd/etcdhygiene.io_registrypolicies.yaml", "charts/etcd-hygiene/crds/etcdhygiene.io_registrypolicies.yaml")]
    [InlineData("config/prometheus/etcd-hygiene-rules.yaml", "charts/etcd-hygiene/files/etcd-hygiene-rules.yaml")]
    [InlineData("config/grafana/etcd-hygiene-dashboard.json", "charts/etcd-hygiene/files/etcd-hygiene-dashboard.json")]
    public void TheChartsCopies_AreByteIdentical(string source, string copy) =>
        Assert.True(File.ReadAllBytes(Path.Combine(Root, source)).SequenceEqual(File.ReadAllBytes(Path.Combine(Root, copy))),
            $"{copy} differs from {source}: run scripts/render-manifests.sh");

    [Fact]
    public async Task ThePlainManifestInstall_IsWhatHelmRenders()
    {
        var (exit, output, errors) = await Helm(["template", "etcd-hygiene", Chart, "--namespace", "etcd-hygiene", "--include-crds"]);

        Assert.True(exit == 0, errors);
        var committed = File.ReadAllText(Path.Combine(Root, "config", "install", "etcd-hygiene.yaml"));
        Assert.True(committed.EndsWith(output, StringComparison.Ordinal), "config/install/etcd-hygiene.yaml is stale: run scripts/render-manifests.sh");

        var rbac = await Helm(["template", "etcd-hygiene", Chart, "--namespace", "etcd-hygiene", "--show-only", "templates/rbac.yaml"]);
        Assert.True(rbac.ExitCode == 0, rbac.Errors);
        Assert.True(File.ReadAllText(Path.Combine(Root, "config", "rbac", "rbac.yaml")).EndsWith(rbac.Output, StringComparison.Ordinal),
            "config/rbac/rbac.yaml is stale: run scripts/render-manifests.sh");
    }

    private static List<(string, string, string)> Normalize(IEnumerable<OperatorPermissions.Rule> rules) =>
        rules.SelectMany(r => r.Verbs.Select(v => (r.ApiGroup, r.Resource, v))).Order().ToList();

    private static List<(string, string, string)> Normalize(JsonObject role) =>
        role["rules"]!.AsArray().SelectMany(r =>
            from g in r!["apiGroups"]!.AsArray()
            from res in r["resources"]!.AsArray()
            from v in r["verbs"]!.AsArray()
            select ((string)g!, (string)res!, (string)v!)).Order().ToList();

    private static async Task<List<JsonObject>> RenderAsync(string[] extra)
    {
        var (exit, output, errors) = await Helm(["template", "t", Chart, "--namespace", "ops", .. extra]);
        Assert.True(exit == 0, errors);
        return YamlJson.Documents(output);
    }

    private static Task<(int ExitCode, string Output, string Errors)> Helm(string[] arguments) => ExternalTool.RunAsync("helm", arguments);
}
