using EtcdHygiene.Core.Analysis;

namespace EtcdHygiene.Core.Tests.Analysis;

public sealed class KeyGroupTests
{
    [Theory]
    [InlineData("/micro/registry/greeter/greeter-5c1f9e", null, "/micro/registry/greeter/*")]
    [InlineData("/micro/registry/greeter/greeter-5c1f9e", 2, "/micro/registry/*")]
    [InlineData("/micro/registry/greeter/greeter-5c1f9e", 9, "/micro/registry/greeter/*")]
    [InlineData("services/api/node1", null, "services/api/*")]
    [InlineData("/top", null, "/*")]
    [InlineData("flat", null, "*")]
    [InlineData("/micro/registry/greeter/n1", 0, "/*")]
    [InlineData("/micro/registry/greeter/n1", 1, "/micro/*")]
    [InlineData("a/b/c", 1, "a/*")]
    [InlineData("a/b/c", 0, "*")]
    [InlineData("/a/b/", null, "/a/b/*")]
    public void Groups(string key, int? depth, string group) => Assert.Equal(group, KeyGroup.Of(key, depth));
}
