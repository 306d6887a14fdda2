using EtcdHygiene.Operator.Controller.Tenancy;

namespace EtcdHygiene.Operator.Tests.Controller;

public sealed class TenancyFileTests
{
    [Fact]
    public void AFullFile_ReadsEveryField_AndDefaultsTheRest()
    {
        var rules = TenancyFile.Parse("""
            rules:
              - namespaces: [team-a, "team-b-*"]
                endpoints: ["*.team-a.svc:2379", 10.20.0.0/16]
                minRetention: 10m
                minRetainRevisions: 5000
                analysis: true
              - namespaces: ["*"]
                endpoints: [etcd.shared.svc]
            """, "tenancy.yaml");

        Assert.Equal(2, rules.Rules.Count);
        var (first, second) = (rules.Rules[0], rules.Rules[1]);
        Assert.Equal((TimeSpan.FromMinutes(10), 5000L, true, "rules[0]"), (first.MinRetention, first.MinRetainRevisions, first.Analysis, first.Path));
        Assert.Equal(["*.team-a.svc:2379", "10.20.0.0/16"], first.Endpoints.Select(e => e.Text));
        Assert.Equal((TimeSpan.FromMinutes(5), 1000L, false), (second.MinRetention, second.MinRetainRevisions, second.Analysis));
        Assert.Contains("tenancy.yaml", rules.Source);
    }

    [Theory]
    [InlineData("rules: [{namespaces: [a], endpoints: [x], minRetension: 1h}]", "line 1", "minRetension")]
    [InlineData("rules: [{endpoints: [x]}]", "rules[0].namespaces must list", "")]
    [InlineData("rules: [{namespaces: [a]}]", "rules[0].endpoints must list", "")]
    [InlineData("rules: [{namespaces: [a], endpoints: [x, \"http://y:1\"]}]", "rules[0].endpoints[1]", "scheme")]
    [InlineData("rules: [{namespaces: [a], endpoints: [x], minRetention: soon}]", "rules[0].minRetention must be a duration", "soon")]
    public void AMistake_StopsTheStart_NamingTheFileAndTheField(string yaml, string where, string what)
    {
        var error = Assert.Throws<ArgumentException>(() => TenancyFile.Parse(yaml, "tenancy.yaml"));
        Assert.StartsWith("tenancy.yaml: ", error.Message);
        Assert.Contains(where, error.Message);
        Assert.Contains(what, error.Message);
    }
}
