using System.Text.Json.Nodes;
using EtcdHygiene.Core.Tenancy;
using EtcdHygiene.Operator.Controller;
using EtcdHygiene.Operator.Controller.Tenancy;
using EtcdHygiene.Testing.Cli;
using k8s;
using k8s.Models;

namespace EtcdHygiene.Operator.Tests.Deployment;

/// <summary>The chart, checked with real helm: lint, render, model types, hardening, schema, RBAC.</summary>
[Trait("Etcd", "AnyVersion")]
public sealed class HelmChartTests
{
    private static readonly string Root = RepositoryRoot.Find();
    private static readonly string Chart = Path.Combine(Root, "charts", "etcd-hygiene");
    private static readonly string[] AllFeatures =
        ["--set", "replicaCount=2,metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true,dashboard.enabled=true,networkPolicy.enabled=true"];

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
        Assert.Equal(["ClusterRole", "ClusterRoleBinding", "ConfigMap", "ConfigMap", "CustomResourceDefinition", "Deployment", "NetworkPolicy", "PodDisruptionBudget", "PrometheusRule", "Role",
            "RoleBinding", "Service", "ServiceAccount", "ServiceMonitor"], kinds);
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
                "NetworkPolicy" => KubernetesJson.Deserialize<V1NetworkPolicy>(text),
                "CustomResourceDefinition" => KubernetesJson.Deserialize<V1CustomResourceDefinition>(text),
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
        Assert.Equal(7, rules.Count);
        Assert.Contains(rules, r => (string?)r!["alert"] == "EtcdHygieneAbsent");
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
        var objects = await RenderAsync(["--set", "workers=4", "--set", "extraArgs={--kubeconfig=/etc/kube/config}"]);

        Assert.Contains("--workers=2", Args(defaults));
        Assert.Contains("--workers=4", Args(objects));
        Assert.Contains("--kubeconfig=/etc/kube/config", Args(objects));
        Assert.DoesNotContain(Args(defaults), a => a.StartsWith("--kubeconfig", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TwoReleasesInOneNamespace_EachLeadItsOwnLease_AndMayTouchOnlyIt()
    {
        var first = await RenderAsync([], release: "team-a");
        var second = await RenderAsync(["--set", "leaderElection.leaseDuration=30s,leaderElection.renewDeadline=20s,leaderElection.retryPeriod=4s"], release: "team-b");

        Assert.Contains("--leader-election-id=team-a-etcd-hygiene-leader", Args(first));
        Assert.Contains("--leader-election-id=team-b-etcd-hygiene-leader", Args(second));
        Assert.Contains("--leader-election-lease-duration=15s", Args(first));
        Assert.Contains("--leader-election-lease-duration=30s", Args(second));
        Assert.Contains("--leader-election-renew-deadline=20s", Args(second));
        Assert.Contains("--leader-election-retry-period=4s", Args(second));
        var leaseRole = first.Single(o => (string)o["kind"]! == "Role" && ((string)o["metadata"]!["name"]!).EndsWith("-leader-election"));
        var named = leaseRole["rules"]!.AsArray().Single(r => r!["resourceNames"] is not null)!;
        Assert.Equal(["team-a-etcd-hygiene-leader"], named["resourceNames"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["get", "update"], named["verbs"]!.AsArray().Select(v => (string)v!));
        var unnamed = leaseRole["rules"]!.AsArray().Single(r => r!["resourceNames"] is null)!;
        Assert.Equal(["create"], unnamed["verbs"]!.AsArray().Select(v => (string)v!)); // create cannot name its object
    }

    [Fact]
    public async Task TheTenancyRules_ReachTheOperatorAsItsConfigFile_AndNoneAreSetByDefault()
    {
        var defaults = await RenderAsync([]);
        var objects = await RenderAsync(["--set-json", """tenancy.rules=[{"namespaces":["team-a"],"endpoints":["*.team-a.svc:2379","10.20.0.0/16"],"minRetention":"10m","analysis":true}]"""]);

        Assert.Empty(Rules(defaults).Rules);
        var rule = Assert.Single(Rules(objects).Rules);
        Assert.Equal(["team-a"], rule.Namespaces);
        Assert.Equal((TimeSpan.FromMinutes(10), true), (rule.MinRetention, rule.Analysis));
        Assert.Equal(["*.team-a.svc:2379", "10.20.0.0/16"], rule.Endpoints.Select(e => e.Text));

        Assert.Contains("--tenancy-config=/etc/etcd-hygiene/tenancy.yaml", Args(objects));
        var pod = Deployment(objects)["spec"]!["template"]!;
        Assert.Contains(pod["spec"]!["containers"]![0]!["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/etc/etcd-hygiene");
        // A change of the rules rolls the pods, which read them at start.
        Assert.NotEqual((string?)Deployment(defaults)["spec"]!["template"]!["metadata"]!["annotations"]!["checksum/tenancy"], (string?)pod["metadata"]!["annotations"]!["checksum/tenancy"]);
    }

    [Fact]
    public async Task TheReadmesQuickStartRule_AllowsEverySample_WhichTheDefaultsRefuse()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var quickStart = System.Text.RegularExpressions.Regex.Match(readme, "--set-json '(tenancy\\.rules=[^']*)'").Groups[1].Value;
        Assert.NotEmpty(quickStart);

        var allowed = Rules(await RenderAsync(["--set-json", quickStart]));
        var defaults = Rules(await RenderAsync([]));

        foreach (var sample in new[] { "bitnami-etcd.yaml", "go-micro-registry.yaml", "tls-and-auth.yaml" })
        {
            var policy = EtcdHygiene.Operator.Standalone.PolicyFileReader.Load(Path.Combine(Root, "config", "samples", sample));
            Assert.Null(allowed.Admit(policy).Refusal);
            Assert.NotNull(defaults.Admit(policy).Refusal);
        }
    }

    [Fact]
    public async Task PodPlacementValues_ReachThePod_AndReplicasSpreadOverNodesByDefault()
    {
        var one = Deployment(await RenderAsync([]))["spec"]!["template"]!;
        var two = Deployment(await RenderAsync(["--set", "replicaCount=2"]))["spec"]!["template"]!;
        var set = Deployment(await RenderAsync(["--set", "replicaCount=2,priorityClassName=system-cluster-critical,podLabels.team=platform",
            "--set-json", """topologySpreadConstraints=[{"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone","whenUnsatisfiable":"ScheduleAnyway"}]""",
            "--set-json", """affinity={"nodeAffinity":{}}"""]))["spec"]!["template"]!;

        Assert.Null(one["spec"]!["affinity"]);
        Assert.Equal("kubernetes.io/hostname", (string?)two["spec"]!["affinity"]!["podAntiAffinity"]!["preferredDuringSchedulingIgnoredDuringExecution"]![0]!["podAffinityTerm"]!["topologyKey"]);
        Assert.Equal("system-cluster-critical", (string?)set["spec"]!["priorityClassName"]);
        Assert.Equal("platform", (string?)set["metadata"]!["labels"]!["team"]);
        Assert.Equal("topology.kubernetes.io/zone", (string?)set["spec"]!["topologySpreadConstraints"]![0]!["topologyKey"]);
        Assert.Null(set["spec"]!["affinity"]!["podAntiAffinity"]); // an affinity of the user's replaces the default
    }

    [Fact]
    public async Task TheCrd_IsUpgradedWithTheRelease_KeptOnUninstall_OrLeftToTheUser()
    {
        var crd = (await RenderAsync([])).Single(o => (string)o["kind"]! == "CustomResourceDefinition");
        var released = (await RenderAsync(["--set", "crds.keep=false"])).Single(o => (string)o["kind"]! == "CustomResourceDefinition");

        Assert.Equal("keep", (string?)crd["metadata"]!["annotations"]!["helm.sh/resource-policy"]);
        Assert.Null(released["metadata"]!["annotations"]);
        var generated = YamlJson.Documents(File.ReadAllText(Path.Combine(Root, "config", "crd", "etcdhygiene.io_registrypolicies.yaml"))).Single();
        Assert.True(JsonNode.DeepEquals(generated["spec"], crd["spec"]), "the chart's CRD differs from the generated one");
        Assert.DoesNotContain(await RenderAsync(["--set", "crds.enabled=false"]), o => (string)o["kind"]! == "CustomResourceDefinition");
    }

    [Fact]
    public async Task TheServiceMonitor_HonoursTheMetricsNamespaceLabel_AndTheNetworkPolicyOpensOnlyTheTwoPorts()
    {
        var objects = await RenderAsync(["--set", "metrics.serviceMonitor.enabled=true,networkPolicy.enabled=true"]);

        var monitor = objects.Single(o => (string)o["kind"]! == "ServiceMonitor");
        Assert.True((bool)monitor["spec"]!["endpoints"]![0]!["honorLabels"]!);
        var policy = KubernetesJson.Deserialize<V1NetworkPolicy>(objects.Single(o => (string)o["kind"]! == "NetworkPolicy").ToJsonString());
        Assert.Equal(["Ingress"], policy.Spec.PolicyTypes);
        Assert.Equal(["8080", "8081"], policy.Spec.Ingress.Select(r => r.Ports.Single().Port.Value));
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
    [InlineData("config/crd/etcdhygiene.io_registrypolicies.yaml", "charts/etcd-hygiene/files/etcdhygiene.io_registrypolicies.yaml")]
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

    private static List<string> Args(List<JsonObject> rendered) =>
        Deployment(rendered)["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.AsArray().Select(a => (string)a!).ToList();

    private static TenancyRules Rules(List<JsonObject> rendered) => TenancyFile.Parse(
        (string)rendered.Single(o => (string)o["kind"]! == "ConfigMap" && ((string)o["metadata"]!["name"]!).EndsWith("-tenancy"))["data"]!["tenancy.yaml"]!, "rendered");

    private static JsonObject Deployment(List<JsonObject> rendered) => rendered.Single(o => (string)o["kind"]! == "Deployment");

    private static async Task<List<JsonObject>> RenderAsync(string[] extra, string release = "t")
    {
        var (exit, output, errors) = await Helm(["template", release, Chart, "--namespace", "ops", .. extra]);
        Assert.True(exit == 0, errors);
        return YamlJson.Documents(output);
    }

    private static Task<(int ExitCode, string Output, string Errors)> Helm(string[] arguments) => ExternalTool.RunAsync("helm", arguments);
}
