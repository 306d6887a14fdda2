using System.Text.Json.Nodes;

namespace EtcdHygiene.Testing.Kubernetes;

/// <summary>
/// The documents kubectl reads before it does anything: the version, the legacy discovery of
/// groups and resources, and the OpenAPI v3 index and per-group documents. The OpenAPI documents
/// carry only what kubectl looks for: each resource's PATCH operation with its group-version-kind
/// and the <c>fieldValidation</c> parameter, which tells kubectl the server validates fields itself
/// (so it sends <c>fieldValidation=Strict</c> instead of validating on the client).
/// </summary>
public static class Discovery
{
    /// <summary>The document for <paramref name="path"/>, or null when it is not a discovery path.</summary>
    public static JsonObject? For(string path, IReadOnlyCollection<ServedResource> served, string host)
    {
        var trimmed = path.Trim('/');
        if (trimmed == "version")
        {
            return new JsonObject { ["major"] = "1", ["minor"] = "33", ["gitVersion"] = "v1.33.0", ["platform"] = "linux/amd64" };
        }
        if (trimmed == "api")
        {
            return new JsonObject
            {
                ["kind"] = "APIVersions",
                ["versions"] = new JsonArray("v1"),
                ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = host }),
            };
        }
        if (trimmed == "apis")
        {
            return new JsonObject
            {
                ["kind"] = "APIGroupList",
                ["apiVersion"] = "v1",
                ["groups"] = new JsonArray(Prefixes(served).Where(p => p.StartsWith("apis/")).Select(p =>
                {
                    var (group, version) = (p.Split('/')[1], p.Split('/')[2]);
                    var preferred = new JsonObject { ["groupVersion"] = $"{group}/{version}", ["version"] = version };
                    return (JsonNode)new JsonObject { ["name"] = group, ["versions"] = new JsonArray(preferred.DeepClone()), ["preferredVersion"] = preferred };
                }).ToArray()),
            };
        }
        if (Prefixes(served).Contains(trimmed))
        {
            return ResourceList(trimmed, served);
        }
        if (trimmed == "openapi/v3")
        {
            var paths = new JsonObject();
            foreach (var prefix in Prefixes(served))
            {
                paths[prefix] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{prefix}?hash=1" };
            }
            return new JsonObject { ["paths"] = paths };
        }
        if (trimmed.StartsWith("openapi/v3/") && Prefixes(served).Contains(trimmed["openapi/v3/".Length..]))
        {
            return OpenApi(trimmed["openapi/v3/".Length..], served);
        }
        return null;
    }

    private static List<string> Prefixes(IReadOnlyCollection<ServedResource> served) => served.Select(s => s.Kind.ApiPrefix).Distinct().Order().ToList();

    private static string GroupVersion(string prefix) => prefix == "api/v1" ? "v1" : prefix["apis/".Length..];

    private static JsonObject ResourceList(string prefix, IReadOnlyCollection<ServedResource> served)
    {
        var resources = new JsonArray();
        foreach (var resource in served.Where(s => s.Kind.ApiPrefix == prefix))
        {
            resources.Add(new JsonObject
            {
                ["name"] = resource.Kind.Plural,
                ["singularName"] = resource.ObjectKind.ToLowerInvariant(),
                ["namespaced"] = true,
                ["kind"] = resource.ObjectKind,
                ["verbs"] = new JsonArray("create", "delete", "get", "list", "patch", "update", "watch"),
                ["shortNames"] = new JsonArray(resource.ShortNames.Select(n => (JsonNode)n).ToArray()),
            });
            if (resource.HasStatus)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = $"{resource.Kind.Plural}/status",
                    ["singularName"] = "",
                    ["namespaced"] = true,
                    ["kind"] = resource.ObjectKind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }
        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = GroupVersion(prefix), ["resources"] = resources };
    }

    private static JsonObject OpenApi(string prefix, IReadOnlyCollection<ServedResource> served)
    {
        var paths = new JsonObject();
        foreach (var resource in served.Where(s => s.Kind.ApiPrefix == prefix))
        {
            var gv = GroupVersion(prefix);
            paths[$"/{prefix}/namespaces/{{namespace}}/{resource.Kind.Plural}/{{name}}"] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["x-kubernetes-group-version-kind"] = new JsonObject
                    {
                        ["group"] = gv.Contains('/') ? gv.Split('/')[0] : "",
                        ["version"] = gv.Contains('/') ? gv.Split('/')[1] : gv,
                        ["kind"] = resource.ObjectKind,
                    },
                    ["parameters"] = new JsonArray(new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } }),
                    ["requestBody"] = new JsonObject { ["content"] = new JsonObject { ["application/merge-patch+json"] = new JsonObject() } },
                    ["responses"] = new JsonObject(),
                },
            };
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.33.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }
}
