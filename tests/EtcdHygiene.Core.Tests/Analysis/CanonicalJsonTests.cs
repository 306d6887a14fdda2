using System.Text;
using EtcdHygiene.Core.Analysis;

namespace EtcdHygiene.Core.Tests.Analysis;

public sealed class CanonicalJsonTests
{
    [Theory]
    [InlineData("""{"a":1,"b":2}""", """{"b":2,"a":1}""")]
    [InlineData("""[1,2,3]""", """[3,1,2]""")]
    [InlineData("""{"subs":[{"topic":"x","q":"a"},{"topic":"x","q":"b"}]}""", """{"subs":[{"q":"b","topic":"x"},{"q":"a","topic":"x"}]}""")]
    [InlineData("""{"n":1}""", """{"n":1.0}""")]
    [InlineData("""{"n":100}""", """{"n":1e2}""")]
    [InlineData("""{"s":"A"}""", """{"s":"\u0041"}""")]
    [InlineData("""{ "a" : [ true , null ] }""", """{"a":[null,true]}""")]
    public void SameMeaning(string a, string b) =>
        Assert.True(CanonicalJson.SameMeaning(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b)));

    [Theory]
    [InlineData("""{"a":1}""", """{"a":2}""")]
    [InlineData("""{"a":1}""", """{"b":1}""")]
    [InlineData("""[1,1,2]""", """[1,2,2]""")]
    [InlineData("""[1,2]""", """[1,2,2]""")]
    [InlineData("""{"a":[1,2]}""", """{"a":[[1,2]]}""")]
    [InlineData("""{"a":"1"}""", """{"a":1}""")]
    [InlineData("""{"a":{"b":1},"c":2}""", """{"a":{"c":2},"b":1}""")]
    [InlineData("""[]""", """{}""")]
    [InlineData("""{"a":null}""", """{}""")]
    public void DifferentMeaning(string a, string b) =>
        Assert.False(CanonicalJson.SameMeaning(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b)));

    [Theory]
    [InlineData("10.0.0.1:8080", "10.0.0.1:8080", true)]
    [InlineData("10.0.0.1:8080", "8080:10.0.0.1", false)]
    [InlineData("{not json", "{not json", true)]
    [InlineData("{\"a\":1} trailing", "{\"a\":1}", false)]
    public void NonJsonValues_AreComparedAsBytes(string a, string b, bool same)
    {
        Assert.Equal(same, CanonicalJson.SameMeaning(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b)));
        Assert.False(CanonicalJson.Of(Encoding.UTF8.GetBytes(a)).IsJson);
    }

    [Fact]
    public void TheIncidentsEntries_AreReorderOnly()
    {
        var entry = new EtcdHygiene.Testing.Workloads.GoMicroServiceEntry("greeter", "greeter-1", "10.0.0.7:41017");
        var straight = Encoding.UTF8.GetBytes(entry.Render(false));
        var swapped = Encoding.UTF8.GetBytes(entry.Render(true));
        var changed = Encoding.UTF8.GetBytes(entry.Render(false, load: "3"));

        Assert.Equal(WriteKind.ReorderOnlyRewrite, WriteClassifier.Classify(straight, 7, existed: true, swapped, 7));
        Assert.Equal(WriteKind.IdenticalRewrite, WriteClassifier.Classify(straight, 7, existed: true, straight, 7));
        Assert.Equal(WriteKind.Changed, WriteClassifier.Classify(straight, 7, existed: true, changed, 7));
        Assert.Equal(WriteKind.LeaseRecreated, WriteClassifier.Classify(straight, 7, existed: true, swapped, 9));
        Assert.Equal(WriteKind.Created, WriteClassifier.Classify([], null, existed: false, straight, 7));
    }
}
