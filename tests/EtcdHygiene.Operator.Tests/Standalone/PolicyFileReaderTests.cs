using EtcdHygiene.Core.Policy;
using EtcdHygiene.Operator.Standalone;

namespace EtcdHygiene.Operator.Tests.Standalone;

public sealed class PolicyFileReaderTests
{
    [Fact]
    public void AMissingFile_SaysSo()
    {
        var error = Assert.Throws<PolicyFileException>(() => PolicyFileReader.Load("/nonexistent/policy.yaml"));

        Assert.Contains("/nonexistent/policy.yaml: cannot read the policy file", error.Message);
    }

    [Fact]
    public void AFile_IsParsedAndValidated_NamedInItsProblems()
    {
        var path = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "apiVersion: etcdhygiene.io/v1alpha1\nkind: RegistryPolicy\nmetadata: { name: registry }\nspec:\n  etcd: { endpoints: [\"http://127.0.0.1:2379\"] }\n  compaction: { retention: \"-5m\" }\n");
        try
        {
            var error = Assert.Throws<PolicyFileException>(() => PolicyFileReader.Load(path));
            Assert.Contains(path, error.Message);
            Assert.Contains("spec.compaction.retention", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
