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
    // Duplicates: what the last one says is all that counts, here and beyond the stack's 16 names.
    [InlineData("""{"a":1,"a":2}""", """{"a":2}""")]
    [InlineData("""{"b":0,"a":1,"a":2}""", """{"a":3,"b":0,"a":2}""")]
    [InlineData("""{"m0":0,"m1":1,"m2":2,"m3":3,"m4":4,"m5":5,"m6":6,"m7":7,"m8":8,"m9":9,"m10":10,"m11":11,"m12":12,"m13":13,"m14":14,"m15":15,"m16":1,"m17":17,"m16":16}""",
        """{"m17":17,"m16":16,"m15":15,"m14":14,"m13":13,"m12":12,"m11":11,"m10":10,"m9":9,"m8":8,"m7":7,"m6":6,"m5":5,"m4":4,"m3":3,"m2":2,"m1":1,"m0":0}""")]
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
    // The last duplicate wins, as in every parser that keeps one: {"a":2} against {"a":1}.
    [InlineData("""{"a":1,"a":2}""", """{"a":2,"a":1}""")]
    [InlineData("""{"a":1,"a":2}""", """{"a":1}""")]
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

    [Theory]
    [InlineData("""{"id":9007199254740993}""", """{"id":9007199254740992}""", false)]
    [InlineData("""{"id":9007199254740993}""", """{"id":9007199254740993}""", true)]
    [InlineData("""{"x":0.1}""", """{"x":0.10}""", true)]
    [InlineData("""{"x":-0.0}""", """{"x":0}""", true)]
    [InlineData("""{"x":1e400}""", """{"x":1e401}""", false)]
    public void Numbers_CompareByValue(string a, string b, bool same) =>
        Assert.Equal(same, CanonicalJson.SameMeaning(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b)));

    [Fact]
    public void TheIncidentsEntries_AreReorderOnly()
    {
        var entry = new EtcdHygiene.Testing.Workloads.GoMicroServiceEntry("greeter", "greeter-1", "10.0.0.7:41017");
        var straight = ValueFacts.Of(Encoding.UTF8.GetBytes(entry.Render(false)), 7);
        var swapped = ValueFacts.Of(Encoding.UTF8.GetBytes(entry.Render(true)), 7);
        var changed = ValueFacts.Of(Encoding.UTF8.GetBytes(entry.Render(false, load: "3")), 7);
        var swappedOnNewLease = ValueFacts.Of(Encoding.UTF8.GetBytes(entry.Render(true)), 9);

        Assert.Equal(WriteKind.ReorderOnlyRewrite, WriteClassifier.Classify(straight, created: false, swapped));
        Assert.Equal(WriteKind.IdenticalRewrite, WriteClassifier.Classify(straight, created: false, straight));
        Assert.Equal(WriteKind.Changed, WriteClassifier.Classify(straight, created: false, changed));
        Assert.Equal(WriteKind.LeaseRecreated, WriteClassifier.Classify(straight, created: false, swappedOnNewLease));
        Assert.Equal(WriteKind.LeaseRecreated, WriteClassifier.Classify(straight, created: true, swappedOnNewLease));
        Assert.Equal(WriteKind.Created, WriteClassifier.Classify(straight, created: true, changed));
        Assert.Equal(WriteKind.Created, WriteClassifier.Classify(null, created: true, straight));
        Assert.Equal(WriteKind.Unknown, WriteClassifier.Classify(null, created: false, straight));
    }
}
