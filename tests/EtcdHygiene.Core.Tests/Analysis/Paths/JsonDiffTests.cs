using System.Text.Json;
using System.Text;
using EtcdHygiene.Core.Analysis.Paths;
using EtcdHygiene.Testing.Workloads;

namespace EtcdHygiene.Core.Tests.Analysis.Paths;

/// <summary>Where two versions of a value differ, path by path, as the classifier judges them.</summary>
public sealed class JsonDiffTests
{
    private static IReadOnlyList<JsonFlip>? Diff(string before, string after) =>
        JsonDiff.Compare(Encoding.UTF8.GetBytes(before), Encoding.UTF8.GetBytes(after));

    [Fact]
    public void AnArrayReorderedAtDepth_IsNamedWithTheElementsThatMoved()
    {
        var flips = Diff("""{"svc":{"nodes":[{"id":"a"},{"id":"b"},{"id":"c"}]}}""", """{"svc":{"nodes":[{"id":"a"},{"id":"c"},{"id":"b"}]}}""")!;

        var flip = Assert.Single(flips);
        Assert.Equal("$.svc.nodes", flip.Path);
        Assert.Equal(FlipKind.Reordered, flip.Kind);
        Assert.Equal("""[1] {"id":"b"}, [2] {"id":"c"}""", flip.Before);
        Assert.Equal("""[1] {"id":"c"}, [2] {"id":"b"}""", flip.After);
    }

    [Fact]
    public void ObjectMembersReordered_NameTheObject()
    {
        var flip = Assert.Single(Diff("""{"a":1,"meta":{"x":1,"y":2}}""", """{"a":1,"meta":{"y":2,"x":1}}""")!);

        Assert.Equal(new JsonFlip("$.meta", FlipKind.Reordered, "{x,y}", "{y,x}"), flip);
    }

    [Theory]
    [InlineData("""{"n":1,"m":[100]}""", """{"n":1.0,"m":[1e2]}""")]
    [InlineData("""{"s":"A"}""", """{ "s" : "\u0041" }""")]
    public void NumbersOrStringsWrittenDifferentlyButEqual_FlipNothing(string before, string after) =>
        Assert.Empty(Diff(before, after)!);

    [Fact]
    public void ChangedValues_AreNamedAtTheirPath_WithBothSides()
    {
        var flips = Diff("""{"nodes":[{"id":"n1","metadata":{"load":"1"}}],"old":true}""", """{"nodes":[{"id":"n1","metadata":{"load":"2"}}],"new":null}""")!;

        Assert.Equal(
        [
            new JsonFlip("$.nodes[0].metadata.load", FlipKind.Changed, "\"1\"", "\"2\""),
            new JsonFlip("$.old", FlipKind.Changed, "true", ValueExcerpt.Absent),
            new JsonFlip("$.new", FlipKind.Changed, ValueExcerpt.Absent, "null"),
        ], flips);
    }

    [Fact]
    public void NestedArrays_AReorderInsideAnElementIsFoundThere_AndALengthChangeIsCounted()
    {
        Assert.Equal("$.m[1]", Assert.Single(Diff("""{"m":[[1,2],[3,4]]}""", """{"m":[[1,2],[4,3]]}""")!).Path);
        var grown = Assert.Single(Diff("""{"m":[[1,2],[3]]}""", """{"m":[[1,2],[3,4]]}""")!);
        Assert.Equal(new JsonFlip("$.m[1]", FlipKind.Changed, "1 element", "2 elements"), grown);
    }

    [Theory]
    [InlineData("10.0.0.1:8080", "10.0.0.2:8080")]
    [InlineData("{\"a\":1}", "not json")]
    [InlineData("{\"a\":1} trailing", "{\"a\":2}")]
    public void NonJsonValues_HaveNoPaths(string before, string after) => Assert.Null(Diff(before, after));

    [Fact]
    public void DuplicateMembers_CompareAsTheLastOneWins()
    {
        var flip = Assert.Single(Diff("""{"a":1,"a":2}""", """{"a":2,"a":1}""")!);

        Assert.Equal(new JsonFlip("$.a", FlipKind.Changed, "2", "1"), flip);
    }

    [Fact]
    public void Excerpts_AreTruncated_AndSecretLookingMembersHidden()
    {
        var longText = new string('x', 5000);
        var flips = Diff("{\"note\":\"" + longText + "\",\"auth\":{\"password\":\"hunter2\"},\"blob\":{\"a\":\"" + longText + "\",\"b\":[1,2,3]}}",
            "{\"note\":\"y" + longText + "\",\"auth\":{\"password\":\"hunter3\"},\"blob\":{\"c\":1}}")!;

        var note = flips.Single(f => f.Path == "$.note");
        Assert.Equal($"\"{new string('x', ValueExcerpt.MaxString)}…\"", note.Before);
        Assert.Equal(new JsonFlip("$.auth.password", FlipKind.Changed, ValueExcerpt.Hidden, ValueExcerpt.Hidden), flips.Single(f => f.Path == "$.auth.password"));
        Assert.All(flips, f => Assert.True(f.Before.Length <= ValueExcerpt.MaxLength + 1 && f.After.Length <= ValueExcerpt.MaxLength + 1, f.ToString()));
        Assert.DoesNotContain(flips, f => f.Before.Contains("hunter") || f.After.Contains("hunter"));
    }

    [Theory]
    [InlineData("DB_PASSWORD=hunter2")]
    [InlineData("--token=s3cr3t-value")]
    [InlineData("api_key: abc")]
    [InlineData("Bearer abc.def")]
    [InlineData("basic dXNlcjpwYXNz")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nMIIE")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig")]
    [InlineData("https://admin:hunter2@db.internal:5432/app")]
    [InlineData("ghp_16C7e42F292c6912E7710c838347Ae178B4a")]
    [InlineData("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    public void SecretLookingStrings_AreHidden_InArraysOfBareStrings(string secret)
    {
        var before = JsonSerializer.Serialize(new { env = new[] { "LOG=debug", secret } });
        var after = JsonSerializer.Serialize(new { env = new[] { secret, "LOG=debug" } });

        var flip = Assert.Single(Diff(before, after)!);

        Assert.Contains(ValueExcerpt.Hidden, flip.Before + flip.After);
        var visible = secret.Length > 6 ? secret[^6..] : secret;
        Assert.DoesNotContain(visible, flip.Before + flip.After);
        Assert.True(ValueExcerpt.LooksSecret(secret));
    }

    [Theory]
    [InlineData("greeter-0f8fad5b-d9cb-469f-a165-70867728950e")]
    [InlineData("Greeter-0F8FAD5B-D9CB-469F-A165-70867728950E")]
    [InlineData("GreeterService-v2-production-eu-west")]
    [InlineData("Greeter.HandleBillingCharge")]
    [InlineData("10.0.0.7:41017")]
    [InlineData("go.micro.srv.greeter")]
    [InlineData("http://greeter.default.svc:8080/v1")]
    [InlineData("v1.2.3")]
    public void IdsNamesAndAddresses_StayVisible(string value) => Assert.False(ValueExcerpt.LooksSecret(value));

    [Fact]
    public void TheIncidentsSwap_IsDiagnosedAsAnUnstableSort()
    {
        var entry = new GoMicroServiceEntry("greeter", "greeter-1", "10.0.0.7:41017");

        var flip = Assert.Single(Diff(entry.Render(false), entry.Render(true))!);

        Assert.Equal("$.endpoints", flip.Path);
        Assert.Equal(FlipKind.Reordered, flip.Kind);
        Assert.Equal("[2] name=\"Greeter.HandleAuditRecord\", [3] name=\"Greeter.HandleBillingCharge\"", flip.Before);
        Assert.Equal("[2] name=\"Greeter.HandleBillingCharge\", [3] name=\"Greeter.HandleAuditRecord\"", flip.After);
        // The subscribers share their topic (what go-micro sorted by) and differ by name.
        Assert.NotNull(flip.Tie);
        Assert.Equal("name", flip.Tie.DifferOn);
        Assert.Equal(["metadata.subscriber", "metadata.topic", "request.name"], flip.Tie.AgreeOn);
    }

    [Fact]
    public void SwappedScalars_HaveNoTie()
    {
        var flip = Assert.Single(Diff("""{"tags":["a","b"]}""", """{"tags":["b","a"]}""")!);

        Assert.Null(flip.Tie);
        Assert.Equal("[0] \"a\", [1] \"b\"", flip.Before);
    }
}
