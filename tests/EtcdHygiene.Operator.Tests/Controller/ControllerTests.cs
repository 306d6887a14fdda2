using EtcdHygiene.Etcd;
using k8s;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using EtcdHygiene.Operator.Controller;
using EtcdHygiene.Testing.Etcd;
using EtcdHygiene.Testing.Kubernetes;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Operator.Tests.Controller;

/// <summary>The operator against the in-process Kubernetes API, with real etcd behind it.</summary>
[Trait("Etcd", "AnyVersion")]
public sealed class ControllerTests
{
    private static readonly JsonObject Quiet = new() { ["compaction"] = new JsonObject { ["interval"] = "1h" }, ["defragmentation"] = new JsonObject { ["pauseBetweenMembers"] = "0s" } };

    [Fact]
    public async Task ANewPolicy_ReachesReady_AndItsMembersMatchEtcdctl()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3 });
        // A new cluster's members still grow their files by a page or two while they apply its
        // first entries: compare once that has settled, or the status is older than etcdctl's answer.
        await using (var etcd = new EtcdClusterConnection(new EtcdConnectionOptions { Endpoints = cluster.ClientUrls }))
        {
            await SnapshotComparison.SettledAsync(etcd);
        }
        await using var kube = await OperatorFixture.StartAsync();
        kube.StartReplica();

        kube.ApplyPolicy("registry", cluster.ClientUrls, Quiet);
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "Ready", "True"), what: "Ready");

        var status = kube.Policy("registry")!["status"]!;
        Assert.Equal(1, (long)status["observedGeneration"]!);
        var etcdctl = await Etcdctl.EndpointStatusAsync(cluster);
        var members = status["members"]!.AsArray().Select(m => ((string)m!["id"]!, (long)m["dbSizeBytes"]!, (bool)m["isLeader"]!)).OrderBy(m => m.Item1).ToList();
        var expected = etcdctl.OrderBy(m => m.Id).ToList();
        Assert.Equal(expected.Select(m => (m.Id, m.IsLeader)), members.Select(m => (m.Item1, m.Item3)));
        // The cycle queues for the cluster's lock at its first look, so a member's file may grow by
        // a page (4 KiB) with the lock's key after the status was observed, never shrink: CI saw
        // 20480 in status and 24576 from etcdctl.
        Assert.All(expected.Zip(members), pair => Assert.InRange(pair.First.DbSize - pair.Second.Item2, 0, 2 * 4096));
        Assert.All(status["members"]!.AsArray(), m => Assert.Equal(EtcdBinary.Version(), (string?)m!["version"]));
    }

    [Fact]
    public async Task NoSpace_ShowsAsACondition_ThenIsRecoveredWithEventsInOrder()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 3, QuotaBackendBytes = 16L << 20 });
        await new RegistryWorkload(cluster.CreateClient(), new RegistryWorkloadOptions { Services = 10, NodesPerService = 5, Writers = 8 }).FillUntilNoSpaceAsync();
        await using var kube = await OperatorFixture.StartAsync();
        kube.StartReplica();

        var suspended = Quiet.DeepClone().AsObject();
        suspended["suspend"] = true;
        kube.ApplyPolicy("registry", cluster.ClientUrls, suspended);
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "NoSpaceAlarm", "True"), what: "NoSpaceAlarm True");
        Assert.True(kube.ConditionIs("registry", "Ready", "False"));
        Assert.Equal("NOSPACE", (string?)kube.Policy("registry")!["status"]!["alarm"]);

        kube.ApplyPolicy("registry", cluster.ClientUrls, Quiet);
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "Ready", "True") && kube.ConditionIs("registry", "NoSpaceAlarm", "False"), what: "recovered");

        var reasons = kube.EventsOf("registry").Select(e => e.Reason).ToList();
        var compaction = reasons.IndexOf("EmergencyCompaction");
        // The three defragmentations are one Event counting three, last written before the disarm.
        var defrags = reasons.IndexOf("Defragmented");
        var disarm = reasons.IndexOf("NoSpaceDisarmed");
        Assert.True(compaction >= 0, string.Join(",", reasons));
        Assert.Equal(3, kube.EventCount("registry", "Defragmented"));
        Assert.True(compaction < defrags && defrags < disarm, string.Join(",", reasons));
        Assert.Contains("NoSpaceAlarm", reasons);
    }

    [Fact]
    public async Task AtNoSpace_TheChurnFindingsReachStatus_BeforeTheCompactionDestroysTheirEvidence()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1, QuotaBackendBytes = 16L << 20 });
        await new RegistryWorkload(cluster.CreateClient(), RegistryWorkloadOptions.ThreePatterns).FillUntilNoSpaceAsync();
        await using var kube = await OperatorFixture.StartAsync();
        kube.StartReplica();

        var analysed = Quiet.DeepClone().AsObject();
        analysed["analysis"] = new JsonObject { ["prefixes"] = new JsonArray("/micro/registry/") };
        kube.ApplyPolicy("registry", cluster.ClientUrls, analysed);
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "NoSpaceAlarm", "False") && kube.ConditionIs("registry", "Ready", "True"), what: "recovered");

        var writes = kube.Api.StatusWrites.Where(w => w.Object == "registry/registry").Select(w => w.Status!).ToList();
        var withFindings = writes.FindIndex(w => w["hotKeys"]?.AsArray().Count > 0);
        var compacted = writes.FindIndex(w => (long?)w["compactedRevision"] > 0);
        Assert.True(withFindings >= 0 && compacted > withFindings, $"findings in write {withFindings}, compaction in write {compacted}");
        var evidence = writes[withFindings];
        var top = evidence["hotKeys"]![0]!;
        Assert.Equal("/micro/registry/svc00/*", (string?)top["keyGroup"]);
        Assert.True(double.Parse((string)top["reorderOnlyRatio"]!, System.Globalization.CultureInfo.InvariantCulture) >= 0.9, top.ToJsonString());
        var churn = evidence["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "ChurnDetected")!;
        Assert.Equal("True", (string?)churn["status"]);
        Assert.StartsWith("/micro/registry/svc00/* was rewritten", (string?)churn["message"]);
        Assert.Contains("only reorder $.endpoints (the elements that swap places agree on", (string?)churn["message"]);
        Assert.Equal("$.endpoints", (string?)top["flippingPaths"]![0]!["path"]);

        var events = kube.EventsOf("registry");
        var churnEvent = events.ToList().FindIndex(e => e.Reason == "ChurnDetected");
        Assert.True(churnEvent >= 0 && churnEvent < events.ToList().FindIndex(e => e.Reason == "EmergencyCompaction"), string.Join(",", events.Select(e => e.Reason)));
        Assert.Equal("Warning", events[churnEvent].Type);
    }

    [Fact]
    public async Task ObservedGenerationFollowsSpecChanges_AndStatusOnlyChangesStartNoCycle()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await using var kube = await OperatorFixture.StartAsync();
        var (host, _, _) = kube.StartReplica();

        kube.ApplyPolicy("registry", cluster.ClientUrls, Quiet);
        await OperatorFixture.WaitUntilAsync(() => (long?)kube.Policy("registry")?["status"]?["observedGeneration"] == 1, what: "observedGeneration 1");

        var changed = Quiet.DeepClone().AsObject();
        changed["dryRun"] = true;
        kube.ApplyPolicy("registry", cluster.ClientUrls, changed);
        Assert.Equal(2, (long)kube.Policy("registry")!["metadata"]!["generation"]!);
        await OperatorFixture.WaitUntilAsync(() => (long?)kube.Policy("registry")?["status"]?["observedGeneration"] == 2, what: "observedGeneration 2");

        await Task.Delay(500);
        var (reconciles, cycles) = (host.Reconciles, host.Cycles);
        await kube.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new global::k8s.Models.V1Patch("""{"status":{"alarm":"touched by a person"}}""", global::k8s.Models.V1Patch.PatchType.MergePatch),
            "etcdhygiene.io", "v1alpha1", OperatorFixture.Ns, "registrypolicies", "registry");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(reconciles, host.Reconciles);
        Assert.Equal(cycles, host.Cycles);
    }

    [Fact]
    public async Task AStatusWriteConflictingWithAnEditOutsideTheStatus_IsRetried()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await using var kube = await OperatorFixture.StartAsync();
        kube.Api.ChangeBeforeNextStatusWrites(2);
        kube.StartReplica();

        kube.ApplyPolicy("registry", cluster.ClientUrls, Quiet);

        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "Ready", "True"), what: "Ready after conflicts");
        Assert.True(kube.Api.Requests.Count(r => r.StartsWith("PATCH") && r.Contains("/status")) >= 3);
    }

    [Fact]
    public async Task AnInvalidSpec_IsRefusedByTheApiServer_AndOneStoredUnderAnEarlierSchema_IsReportedByField_AndNothingReachesEtcd()
    {
        using var etcd = new ConnectionCounter();
        await using var kube = await OperatorFixture.StartAsync();
        kube.StartReplica();
        var invalid = new JsonObject { ["defragmentation"] = new JsonObject { ["rule"] = new JsonObject { ["minFragmentationRatio"] = 1.5 } } };

        var refused = Assert.Throws<ApiRefusalException>(() => kube.ApplyPolicy("bad", [etcd.Url], invalid));
        Assert.Equal(422, refused.Code);
        Assert.Equal("spec.defragmentation.rule.minFragmentationRatio", (string?)refused.Status["details"]!["causes"]![0]!["field"]);

        kube.StorePolicyFromAnEarlierSchema("bad", [etcd.Url], invalid);

        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("bad", "InvalidSpec", "True"), what: "InvalidSpec");
        Assert.Contains("spec.defragmentation.rule.minFragmentationRatio must be between 0 and 1 (got 1.5)", (string?)kube.Condition("bad", "InvalidSpec")!["message"]);
        Assert.True(kube.ConditionIs("bad", "Ready", "False"));
        Assert.Contains(kube.EventsOf("bad"), e => e is ("Warning", "InvalidSpec", _));
        await Task.Delay(500);
        Assert.Equal(0, etcd.Connections);
    }

    [Fact]
    public async Task AnObjectThatCannotBeRead_KeepsItsKeptState_AndIsReconciledAgainOnceItCanBe()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await using var kube = await OperatorFixture.StartAsync();
        kube.StartReplica();
        kube.ApplyPolicy("registry", cluster.ClientUrls, Quiet);
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "Ready", "True") && kube.Policy("registry")!["status"]!["clusterId"] is not null,
            what: "Ready with kept state");
        var kept = kube.Policy("registry")!["status"]!.DeepClone().AsObject();

        // A status field of the wrong type, as an object stored under an earlier schema has it; the generation does not change.
        var broken = kube.Policy("registry")!;
        broken["status"]!["revision"] = "not a number";
        kube.Api.StoreAsIs(OperatorFixture.Policies, OperatorFixture.Ns, broken);
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "InvalidSpec", "True"), what: "reported");

        Assert.Contains("status.revision has the wrong type", (string?)kube.Condition("registry", "InvalidSpec")!["message"]);
        var reported = kube.Policy("registry")!["status"]!;
        foreach (var field in new[] { "clusterId", "compactedRevision", "members", "revisionSamples", "lastCompactionTime" })
        {
            Assert.True(JsonNode.DeepEquals(kept[field], reported[field]), $"status.{field} changed: {kept[field]} → {reported[field]}");
        }
        Assert.Equal("not a number", (string?)reported["revision"]);

        var fixedByHand = kube.Policy("registry")!;
        fixedByHand["status"]!["revision"] = kept["revision"]!.DeepClone();
        kube.Api.StoreAsIs(OperatorFixture.Policies, OperatorFixture.Ns, fixedByHand);
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "InvalidSpec", "False") && kube.ConditionIs("registry", "Ready", "True"),
            TimeSpan.FromSeconds(30), "reconciled again without a spec change");
        Assert.Equal(kept["clusterId"]!.ToString(), kube.Policy("registry")!["status"]!["clusterId"]!.ToString());
    }

    [Fact]
    public async Task AMissingSecret_IsNamedInACondition()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await using var kube = await OperatorFixture.StartAsync();
        kube.StartReplica();

        kube.ApplyPolicy("secured", cluster.ClientUrls, Quiet, credentialsSecret: "etcd-auth");

        await OperatorFixture.WaitUntilAsync(() => (string?)kube.Condition("secured", "Ready")?["reason"] == "SecretUnavailable", what: "SecretUnavailable");
        Assert.Equal("Secret registry/etcd-auth does not exist", (string?)kube.Condition("secured", "Ready")!["message"]);
    }

    [Fact]
    public async Task AnAnalysisFailureRetryingCannotCure_IsAConditionAndOneEvent_WhileCyclesGoOn()
    {
        const string password = "root-Secret-3c9a";
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await cluster.EnableAuthAsync(password);
        // The policy's user may read /other/ only: its analysis of /micro/registry/ is refused on every try.
        await cluster.AddReaderAsync(password, "reader", "reader-pw", "/other/");
        await using var kube = await OperatorFixture.StartAsync();
        var logs = new CapturedLogs();
        kube.StartReplica(logging: logs.Factory());
        kube.ApplySecret("etcd-auth", ("username", "reader"), ("password", "reader-pw"));
        var spec = Quiet.DeepClone().AsObject();
        spec["compaction"] = new JsonObject { ["interval"] = "1s" };
        spec["analysis"] = new JsonObject { ["prefixes"] = new JsonArray("/micro/registry/") };
        kube.ApplyPolicy("registry", cluster.ClientUrls, spec, credentialsSecret: "etcd-auth");

        // The condition tells what the latest try met: wait for the refusal this test set up.
        await OperatorFixture.WaitUntilAsync(() => (string?)kube.Condition("registry", "ChurnDetected")?["reason"] == "AnalysisUnavailable"
                && ((string?)kube.Condition("registry", "ChurnDetected")!["message"])!.Contains("permission denied"),
            what: "AnalysisUnavailable, naming the refused permission", describe: () => kube.Condition("registry", "ChurnDetected")?.ToJsonString() ?? "no condition");
        Assert.Equal("Unknown", (string?)kube.Condition("registry", "ChurnDetected")!["status"]);
        // The watch fails again at 1, 2, 4 s…, each time a cycle tells the announcer: let it fail four times.
        await OperatorFixture.WaitUntilAsync(() => logs.Lines.Count(l => l.Contains("Churn analysis:") && l.Contains("permission denied")) >= 4, what: "four failures");
        // The policy is still reconciled: a spec change is taken up. (Whether its cycles succeed is
        // etcd's business: 3.5 refuses Status to a user without the root role, 3.4 does not.)
        var edited = kube.Policy("registry")!;
        edited["spec"]!["compaction"]!["interval"] = "2s";
        kube.Api.Apply(OperatorFixture.Policies, OperatorFixture.Ns, edited);
        var generation = (long)kube.Policy("registry")!["metadata"]!["generation"]!;
        await OperatorFixture.WaitUntilAsync(() => (long?)kube.Policy("registry")?["status"]?["observedGeneration"] == generation, what: $"observedGeneration {generation}");

        var told = kube.EventsOf("registry").Where(e => e.Reason == "AnalysisUnavailable").ToList();
        var one = Assert.Single(told);
        Assert.Equal("Warning", one.Type);
        Assert.Contains("retrying cannot cure it", one.Message);
        Assert.DoesNotContain("reader-pw", one.Message);
    }

    [Fact]
    public async Task TwoReplicas_OnlyTheLeaderReconciles_AndTheOtherTakesOverWhenItStops()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await using var kube = await OperatorFixture.StartAsync();
        var election = new OperatorOptions
        {
            LeaderElect = true,
            LeaseNamespace = OperatorFixture.Ns,
            LeaseDuration = TimeSpan.FromSeconds(3),
            RenewDeadline = TimeSpan.FromSeconds(2),
            RetryPeriod = TimeSpan.FromMilliseconds(500),
        };
        var first = kube.StartReplica(election with { Identity = "replica-a" });
        await OperatorFixture.WaitUntilAsync(() => first.Host.IsLeading, what: "replica-a leads");
        var second = kube.StartReplica(election with { Identity = "replica-b" });
        var interval = new JsonObject { ["compaction"] = new JsonObject { ["interval"] = "1s" } };

        kube.ApplyPolicy("registry", cluster.ClientUrls, interval);
        await OperatorFixture.WaitUntilAsync(() => first.Host.Cycles >= 2, what: "replica-a runs cycles");
        Assert.False(second.Host.IsLeading);
        Assert.Equal(0, second.Host.Reconciles);
        Assert.Equal(0, second.Host.Cycles);

        first.Stop.Cancel();
        Assert.Equal(0, await first.Run);
        await OperatorFixture.WaitUntilAsync(() => second.Host.Cycles >= 1, TimeSpan.FromSeconds(30), "replica-b takes over");
        Assert.Equal("replica-b", (string?)kube.Api.Get(new("apis/coordination.k8s.io/v1", "leases"), OperatorFixture.Ns, "etcd-hygiene-leader")!["spec"]!["holderIdentity"]);
    }

    [Fact]
    public async Task DeletingThePolicy_StopsItsWork()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await using var kube = await OperatorFixture.StartAsync();
        var (host, _, _) = kube.StartReplica();
        kube.ApplyPolicy("registry", cluster.ClientUrls, new JsonObject { ["compaction"] = new JsonObject { ["interval"] = "1s" } });
        await OperatorFixture.WaitUntilAsync(() => host.Cycles >= 2, what: "periodic cycles");

        kube.Api.Delete(OperatorFixture.Policies, OperatorFixture.Ns, "registry");
        // A cycle in flight at the deletion finishes; none starts after it.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var afterDelete = host.Cycles;
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal(afterDelete, host.Cycles);
    }

    [Fact]
    public async Task TheOperator_MakesOnlyTheApiCallsItsRbacGrants()
    {
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await using var kube = await OperatorFixture.StartAsync();
        var (host, _, _) = kube.StartReplica(new OperatorOptions { LeaderElect = true, LeaseNamespace = OperatorFixture.Ns, RetryPeriod = TimeSpan.FromMilliseconds(200) });
        kube.ApplyPolicy("registry", cluster.ClientUrls, Quiet);
        kube.ApplyPolicy("secured", cluster.ClientUrls, Quiet, credentialsSecret: "etcd-auth");
        kube.StorePolicyFromAnEarlierSchema("bad", cluster.ClientUrls, new JsonObject { ["compaction"] = new JsonObject { ["mode"] = "Sometimes" } });

        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("registry", "Ready", "True")
            && (string?)kube.Condition("secured", "Ready")?["reason"] == "SecretUnavailable"
            && kube.ConditionIs("bad", "InvalidSpec", "True"), what: "all three reconciled");
        await Task.Delay(500);

        var granted = OperatorPermissions.Watched.Concat(OperatorPermissions.LeaderElection)
            .SelectMany(r => r.Verbs.Select(v => (r.ApiGroup, r.Resource, v))).ToHashSet();
        var used = kube.Api.Requests.Select(ApiCall).ToHashSet();
        Assert.Contains(("etcdhygiene.io", "registrypolicies/status", "patch"), used);
        Assert.Contains(("", "secrets", "get"), used);
        Assert.Contains(("coordination.k8s.io", "leases", "create"), used);
        Assert.Empty(used.Except(granted));
    }

    /// <summary>"PATCH /apis/g/v/namespaces/ns/plural/name/status" → (g, plural/status, patch), as RBAC sees it.</summary>
    private static (string Group, string Resource, string Verb) ApiCall(string request)
    {
        var (method, target) = (request.Split(' ')[0], request.Split(' ')[1]);
        var path = target.Split('?')[0].Trim('/').Split('/');
        var (group, rest) = path[0] == "api" ? ("", path[2..]) : (path[1], path[3..]);
        if (rest.Length > 0 && rest[0] == "namespaces")
        {
            rest = rest[2..];
        }
        var resource = rest.Length == 3 ? $"{rest[0]}/{rest[2]}" : rest[0];
        var named = rest.Length >= 2;
        var verb = method switch
        {
            "GET" when target.Contains("watch=true") => "watch",
            "GET" => named ? "get" : "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => method,
        };
        return (group, resource, verb);
    }

    [Fact]
    public async Task SecretValues_NeverAppearInStatusEventsLogsOrMetrics()
    {
        const string password = "hunter2-must-never-be-printed";
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1 });
        await using var kube = await OperatorFixture.StartAsync();
        var logs = new CapturedLogs();
        using var logging = logs.Factory();
        var metrics = new Prometheus.CollectorRegistry();
        kube.StartReplica(logging: logging, metrics: metrics);
        kube.Api.Apply(new("api/v1", "secrets"), OperatorFixture.Ns, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "etcd-auth" },
            ["data"] = new JsonObject
            {
                ["username"] = Convert.ToBase64String("hygiene"u8.ToArray()),
                ["password"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(password)),
            },
        });
        kube.ApplyPolicy("secured", cluster.ClientUrls, Quiet, credentialsSecret: "etcd-auth");

        // This etcd has no auth enabled, so the credentials are refused: the error flows to status,
        // events, logs and metrics, which is where a leak would show. It must have happened.
        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("secured", "Ready", "False"), what: "Ready False: the credentials refused",
            describe: () => kube.Policy("secured")?["status"]?.ToJsonString() ?? "no status");
        var refused = (string?)kube.Condition("secured", "Ready")!["message"];
        Assert.Contains("authentication", refused);
        Assert.Contains(kube.Api.Requests, r => r.Contains("/secrets/etcd-auth"));
        Assert.Contains(logs.Lines, line => line.Contains("authentication"));

        var scraped = await OperatorFixture.ScrapeAsync(metrics);
        Assert.Contains("etcd_hygiene_", scraped);
        var written = kube.Api.List(OperatorFixture.Policies).Concat(kube.Api.List(OperatorFixture.Events)).Select(o => o.ToJsonString()).Append(scraped).ToList();
        Assert.DoesNotContain(written, text => text.Contains(password));
        Assert.DoesNotContain(logs.Lines, line => line.Contains(password));
    }
}
