using System.Text.Json.Nodes;

namespace EtcdHygiene.Testing.Kubernetes;

/// <summary>
/// A list's <c>fieldSelector</c> (<c>involvedObject.name=x,involvedObject.kind=RegistryPolicy</c>),
/// with = / == / != on dotted paths: what kubectl describe uses to find an object's events.
/// </summary>
public static class FieldSelector
{
    /// <summary>Whether <paramref name="obj"/> matches every requirement of <paramref name="selector"/> (an empty one matches all).</summary>
    public static bool Matches(JsonObject obj, string selector)
    {
        foreach (var requirement in selector.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var negated = requirement.Contains("!=");
            var parts = requirement.Split(negated ? "!=" : requirement.Contains("==") ? "==" : "=", 2);
            var actual = FieldPath.Find(obj, parts[0].Trim())?.ToString() ?? "";
            if ((actual == parts[1].Trim()) == negated)
            {
                return false;
            }
        }
        return true;
    }
}
