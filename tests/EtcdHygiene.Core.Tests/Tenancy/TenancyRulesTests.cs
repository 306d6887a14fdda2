using EtcdHygiene.Core.Policy;
using EtcdHygiene.Core.Tenancy;

namespace EtcdHygiene.Core.Tests.Tenancy;

public sealed class TenancyRulesTests
{
    private static readonly TenancyRules TeamA = new()
    {
        Source = "tenancy.yaml",
        Rules =
        [
            new TenantRule { Namespaces = ["team-a"], Endpoints = [Pattern("*.team-a.svc.cluster.local:2379"), Pattern("10.20.0.0/16")], Path = "rules[0]" },
            new TenantRule { Namespaces = ["platform-*"], Endpoints = [Pattern("*")], MinRetention = TimeSpan.Zero, Analysis = true, Path = "rules[1]" },
        ],
    };

    [Theory]
    [InlineData("10.0.0.0/8", "https://10.1.2.3:2379", true)]
    [InlineData("10.0.0.0/8", "https://11.1.2.3:2379", false)]
    [InlineData("10.0.0.0/8", "https://ten.example:2379", false)] // names are never resolved to match a CIDR
    [InlineData("10.0.0.0/8:2379", "https://10.1.2.3:2380", false)]
    [InlineData("127.0.0.1", "http://127.0.0.1:2379", true)]
    [InlineData("fd00::/8", "https://[fd00::1]:2379", true)]
    [InlineData("[fd00::1]:2379", "https://[fd00::1]:2379", true)]
    [InlineData("*.team-a.svc", "https://etcd-0.etcd.team-a.svc:2379", true)]
    [InlineData("*.team-a.svc", "https://etcd-0.etcd.team-b.svc:2379", false)]
    [InlineData("*.team-a.svc", "https://team-a.svc.evil.example:2379", false)]
    [InlineData("ETCD-0.Team-A.svc", "https://etcd-0.team-a.svc:2379", true)]
    [InlineData("etcd-0.team-a.svc:2379", "https://etcd-0.team-a.svc:12379", false)]
    [InlineData("*", "https://anything.example:1", true)]
    public void Patterns_MatchHostsAndPorts(string pattern, string endpoint, bool matches) =>
        Assert.Equal(matches, EndpointPattern.Parse(pattern).Matches(new Uri(endpoint)));

    [Theory]
    [InlineData("https://etcd:2379", "scheme")]
    [InlineData("etcd:99999", "invalid port")]
    [InlineData("10.0.0.0/99", "neither a CIDR nor a host pattern")]
    [InlineData(" ", "empty")]
    public void APatternThatIsNone_SaysWhy(string pattern, string why) =>
        Assert.Contains(why, Assert.Throws<FormatException>(() => EndpointPattern.Parse(pattern)).Message);

    [Fact]
    public void APolicyInsideItsRule_IsAllowed()
    {
        Assert.True(TeamA.Admit(Policy("team-a", ["https://etcd-0.etcd.team-a.svc.cluster.local:2379", "https://10.20.1.1:2379"])).IsAllowed);
        Assert.True(TeamA.Admit(Policy("platform-infra", ["https://anything:2379"], retention: TimeSpan.FromSeconds(1), prefixes: ["/a/"])).IsAllowed);
    }

    [Fact]
    public void NoRules_RefuseEveryPolicy_NamingTheSetting()
    {
        var decision = TenancyRules.None.Admit(Policy("team-a", ["https://10.20.1.1:2379"]));
        Assert.Equal("no tenancy rule covers namespace team-a: policies there may not name any etcd endpoint; set by no tenancy configuration (chart value tenancy.rules, operator flag --tenancy-config)",
            decision.Refusal);
    }

    [Fact]
    public void ANamespaceNoRuleCovers_IsRefused() =>
        Assert.StartsWith("no tenancy rule covers namespace team-b", TeamA.Admit(Policy("team-b", ["https://10.20.1.1:2379"])).Refusal);

    [Fact]
    public void OneEndpointOutside_RefusesThePolicy_NamingItAndWhatIsAllowed()
    {
        var decision = TeamA.Admit(Policy("team-a", ["https://10.20.1.1:2379", "https://10.30.1.1:2379"]));
        Assert.Equal("endpoint https://10.30.1.1:2379 is not one namespace team-a may name (rules[0].endpoints: *.team-a.svc.cluster.local:2379, 10.20.0.0/16); set by tenancy.yaml",
            decision.Refusal);
    }

    [Fact]
    public void EndpointsThatNoOneRuleAllowsTogether_AreRefused()
    {
        var split = TeamA with
        {
            Rules = [new TenantRule { Namespaces = ["team-a"], Endpoints = [Pattern("10.1.0.0/16")] }, new TenantRule { Namespaces = ["team-a"], Endpoints = [Pattern("10.2.0.0/16")] }],
        };
        Assert.StartsWith("no single tenancy rule for namespace team-a allows all of its endpoints together",
            split.Admit(Policy("team-a", ["https://10.1.0.1:2379", "https://10.2.0.1:2379"])).Refusal);
    }

    [Fact]
    public void ARetentionBelowTheMinimum_IsRefused_AtTheDefaultMinimum()
    {
        Assert.Equal("spec.compaction.retention 1ms is below 5m, the minimum of tenancy rules[0].minRetention; set by tenancy.yaml",
            TeamA.Admit(Policy("team-a", ["https://10.20.1.1:2379"], retention: TimeSpan.FromMilliseconds(1))).Refusal);
        Assert.True(TeamA.Admit(Policy("team-a", ["https://10.20.1.1:2379"], retention: TimeSpan.FromMinutes(5))).IsAllowed);
    }

    [Fact]
    public void TooFewRetainedRevisions_AreRefused()
    {
        var policy = Policy("team-a", ["https://10.20.1.1:2379"]) with { Compaction = new CompactionSettings { Mode = CompactionMode.Revision, RetainRevisions = 10 } };
        Assert.StartsWith("spec.compaction.retainRevisions 10 is below 1000, the minimum of tenancy rules[0].minRetainRevisions", TeamA.Admit(policy).Refusal);
    }

    [Fact]
    public void AnalysisWhereTheRuleDoesNotAllowIt_IsRefused() =>
        Assert.StartsWith("spec.analysis.prefixes is set, but tenancy rules[0].analysis does not let policies of namespace team-a read keys",
            TeamA.Admit(Policy("team-a", ["https://10.20.1.1:2379"], prefixes: ["/micro/registry/"])).Refusal);

    private static EndpointPattern Pattern(string text) => EndpointPattern.Parse(text);

    private static HygienePolicy Policy(string ns, IReadOnlyList<string> endpoints, TimeSpan? retention = null, IReadOnlyList<string>? prefixes = null) => new()
    {
        Key = new PolicyKey(ns, "registry"),
        Etcd = new EtcdSettings { Endpoints = endpoints },
        Compaction = new CompactionSettings { Retention = retention ?? TimeSpan.FromHours(1) },
        Defragmentation = new DefragmentationSettings(),
        Alarms = new AlarmSettings(),
        Analysis = new AnalysisSettings { Prefixes = prefixes ?? [] },
    };
}
