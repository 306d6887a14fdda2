using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Core.Tests.Policy;

public sealed class PolicyFileTests
{
    private const string Full = """
        apiVersion: etcdhygiene.io/v1alpha1
        kind: RegistryPolicy
        metadata:
          name: go-micro-registry
          namespace: registry
          generation: 3
        spec:
          etcd:
            endpoints: ["http://10.0.0.1:2379", "http://10.0.0.2:2379"]
            quotaBackendBytes: 2Gi
            requestTimeout: 5s
            defragTimeout: 10m
          compaction:
            mode: Revision
            retention: 30m
            retainRevisions: 5000
            interval: 1m
          defragmentation:
            rule: { minFragmentationRatio: 0.3, minDbSizeBytes: 64Mi, minReclaimableBytes: 16Mi, quotaUsageAbove: 0.7 }
            schedule: "0 3 * * *"
            windowDuration: 2h
            moveLeader: true
            pauseBetweenMembers: 30s
          alarms:
            disarmNoSpace: true
            disarmBelowQuotaRatio: 0.75
            emergencyCompaction: RetentionOnly
          analysis:
            prefixes: ["/micro/registry/"]
            window: 5m
            topKeys: 20
          dryRun: true
        """;

    [Fact]
    public void AFullManifest_IsReadField_ByField()
    {
        var policy = PolicyFile.Parse(Full, "full.yaml");

        Assert.Equal("registry/go-micro-registry", policy.Key.ToString());
        Assert.Equal(3, policy.Generation);
        Assert.Equal(["http://10.0.0.1:2379", "http://10.0.0.2:2379"], policy.Etcd.Endpoints);
        Assert.Equal(2L * 1024 * 1024 * 1024, policy.Etcd.QuotaBackendBytes);
        Assert.Equal(TimeSpan.FromSeconds(5), policy.Etcd.RequestTimeout);
        Assert.Equal(TimeSpan.FromMinutes(10), policy.Etcd.DefragTimeout);
        Assert.Equal(new CompactionSettings { Mode = CompactionMode.Revision, Retention = TimeSpan.FromMinutes(30), RetainRevisions = 5000, Interval = TimeSpan.FromMinutes(1) }, policy.Compaction);
        Assert.Equal(new DefragmentationSettings
        {
            MinFragmentationRatio = 0.3, MinDbSizeBytes = 64L << 20, MinReclaimableBytes = 16L << 20, QuotaUsageAbove = 0.7,
            Schedule = "0 3 * * *", WindowDuration = TimeSpan.FromHours(2), MoveLeader = true, PauseBetweenMembers = TimeSpan.FromSeconds(30),
        }, policy.Defragmentation);
        Assert.Equal(new AlarmSettings { DisarmNoSpace = true, DisarmBelowQuotaRatio = 0.75, EmergencyCompaction = EmergencyCompaction.RetentionOnly }, policy.Alarms);
        Assert.Equal(["/micro/registry/"], policy.Analysis.Prefixes);
        Assert.Equal((TimeSpan.FromMinutes(5), 20), (policy.Analysis.Window, policy.Analysis.TopKeys));
        Assert.True(policy.DryRun);
        Assert.False(policy.Suspend);
    }

    [Fact]
    public void AMinimalManifest_GetsTheDocumentedDefaults()
    {
        var policy = PolicyFile.Parse("""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata: { name: minimal }
            spec:
              etcd: { endpoints: ["https://etcd-0.etcd-headless:2379"] }
            """, "minimal.yaml");

        Assert.Equal("default/minimal", policy.Key.ToString());
        Assert.Equal(new CompactionSettings(), policy.Compaction);
        Assert.Equal(new DefragmentationSettings(), policy.Defragmentation);
        Assert.Equal(new AlarmSettings(), policy.Alarms);
        Assert.Equal(EmergencyCompaction.Latest, policy.Alarms.EmergencyCompaction);
        Assert.Null(policy.Etcd.QuotaBackendBytes);
        Assert.False(policy.DryRun);
    }

    [Fact]
    public void EveryProblem_IsReported_NamingTheFieldAndTheRule()
    {
        var error = Assert.Throws<PolicyFileException>(() => PolicyFile.Parse("""
            apiVersion: etcdhygiene.io/v1
            kind: RegistryPolicy
            metadata: { name: Bad_Name }
            spec:
              etcd:
                endpoints: ["etcd-0:2379"]
                quotaBackendBytes: lots
                requestTimeout: 10 seconds
              compaction: { mode: periodic, retention: 0s, retainRevisions: 0 }
              defragmentation:
                rule: { minFragmentationRatio: 1.5 }
                schedule: "every night"
              alarms: { disarmBelowQuotaRatio: 0, emergencyCompaction: Newest }
              analysis: { topKeys: 0 }
            """, "bad.yaml"));

        Assert.Equal(
        [
            "apiVersion must be etcdhygiene.io/v1alpha1 (got \"etcdhygiene.io/v1\")",
            "metadata.name must be a lowercase DNS subdomain, e.g. registry-etcd (got \"Bad_Name\")",
            "spec.etcd.endpoints[0] must be an http:// or https:// URL with host and port, e.g. https://etcd-0:2379 (got \"etcd-0:2379\")",
            "spec.etcd.quotaBackendBytes must be a byte quantity such as 100Mi or 2Gi (got \"lots\")",
            "spec.etcd.requestTimeout must be a duration such as 10s, 5m or 1h30m (got \"10 seconds\")",
            "spec.compaction.mode must be one of Periodic, Revision, Disabled (got \"periodic\")",
            "spec.compaction.retainRevisions must be at least 1 (got 0)",
            "spec.compaction.retention must be longer than 0 (got \"0s\")",
        ], error.Problems.Take(8));
        Assert.Contains("spec.defragmentation.rule.minFragmentationRatio must be between 0 and 1 (got 1.5)", error.Problems);
        Assert.Contains(error.Problems, p => p.StartsWith("spec.defragmentation.schedule must be a cron expression"));
        Assert.Contains(error.Problems, p => p.StartsWith("spec.alarms.disarmBelowQuotaRatio must be above 0"));
        Assert.Contains("spec.alarms.emergencyCompaction must be one of RetentionOnly, Latest (got \"Newest\")", error.Problems);
        Assert.Contains("spec.analysis.topKeys must be between 1 and 100 (got 0)", error.Problems);
        Assert.StartsWith("bad.yaml: the policy is invalid:", error.Message);
    }

    [Fact]
    public void AMisspeltField_IsRefusedWithItsLine_InsteadOfSilentlyDefaulted()
    {
        var error = Assert.Throws<PolicyFileException>(() => PolicyFile.Parse("""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata: { name: typo }
            spec:
              etcd: { endpoints: ["http://127.0.0.1:2379"] }
              compaction:
                retension: 1h
            """, "typo.yaml"));

        Assert.StartsWith("typo.yaml: line 7", error.Message);
        Assert.Contains("retension", error.Message);
    }

    [Fact]
    public void CrossFieldRules_TheCrdAlsoChecks_AreReportedForFilesToo()
    {
        var error = Assert.Throws<PolicyFileException>(() => PolicyFile.Parse("""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata: { name: cross }
            spec:
              etcd: { endpoints: ["http://127.0.0.1:2379"], requestTimeout: 30s, defragTimeout: 10s }
              defragmentation: { windowDuration: 2h }
            """, "cross.yaml"));

        Assert.Equal(
        [
            "spec.etcd.defragTimeout must not be shorter than requestTimeout (got 10s < 30s)",
            "spec.defragmentation.windowDuration needs a schedule: without one, defragmentation may run at any time",
        ], error.Problems);
    }

    [Fact]
    public void PreventionAndTheWatch_AreCheckedAgainstEachOther()
    {
        var error = Assert.Throws<PolicyFileException>(() => PolicyFile.Parse("""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata: { name: alarms }
            spec:
              etcd: { endpoints: ["http://127.0.0.1:2379"] }
              alarms: { disarmBelowQuotaRatio: 0.9, preemptAboveQuotaRatio: 0.85, checkInterval: 100ms }
            """, "alarms.yaml"));

        Assert.Equal(
        [
            "spec.alarms.preemptAboveQuotaRatio must be above disarmBelowQuotaRatio (0.9), or 0 to turn prevention off (got 0.85)",
            "spec.alarms.checkInterval must be at least 200ms (got \"100ms\"): every check reads every member's Status",
        ], error.Problems);
        Assert.Equal(0, PolicyFile.Parse("""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata: { name: off }
            spec:
              etcd: { endpoints: ["http://127.0.0.1:2379"] }
              alarms: { preemptAboveQuotaRatio: 0 }
            """, "off.yaml").Alarms.PreemptAboveQuotaRatio);
    }

    [Theory]
    [InlineData("", "expected exactly one RegistryPolicy document (found 0)")]
    [InlineData("kind: RegistryPolicy\n---\nkind: RegistryPolicy\n", "expected exactly one RegistryPolicy document (found 2)")]
    [InlineData("spec: [unclosed", "line 1")]
    [InlineData("apiVersion: etcdhygiene.io/v1alpha1\nkind: RegistryPolicy\nmetadata: { name: x }\n", "spec is required")]
    [InlineData("apiVersion: etcdhygiene.io/v1alpha1\nkind: RegistryPolicy\nmetadata: { name: x }\nspec:\n  suspend: maybe\n", "line 5, column 12 (spec.suspend)")]
    [InlineData("kind: RegistryPolicy\nspec:\n  etcd:\n    endpoints: [a]\n    requestTimeout: [3s]\n", "line 5, column 21 (spec.etcd.requestTimeout)")]
    [InlineData("kind: RegistryPolicy\nspec:\n  analysis: { topKeys: ten, window: 1m }\n", "(spec.analysis.topKeys)")]
    [InlineData("kind: RegistryPolicy\nspec:\n  compaction:\n    retentionn: 1h\n", "(spec.compaction.retentionn)")]
    public void BrokenFiles_GiveAMessage_NotAStackTrace(string yaml, string expected)
    {
        var error = Assert.Throws<PolicyFileException>(() => PolicyFile.Parse(yaml, "p.yaml"));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void AManifestExportedFromACluster_WithStatusAndManagedMetadata_Loads()
    {
        var policy = PolicyFile.Parse("""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata:
              name: exported
              uid: 1b2c
              resourceVersion: "42"
              annotations: { a: b }
              labels: { team: platform }
            spec:
              etcd: { endpoints: ["http://127.0.0.1:2379"] }
            status:
              observedGeneration: 1
            """, "exported.yaml");

        Assert.Equal("exported", policy.Key.Name);
    }
}
