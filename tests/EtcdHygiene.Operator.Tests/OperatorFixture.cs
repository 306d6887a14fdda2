using EtcdHygiene.Kubernetes.Runtime;
using System.Text.Json.Nodes;
using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Operator.Controller;
using EtcdHygiene.Operator.Controller.Tenancy;
using EtcdHygiene.Operator.Metrics;
using EtcdHygiene.Testing.Kubernetes;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace EtcdHygiene.Operator.Tests;

/// <summary>An in-process API server and operator replicas running against it.</summary>
internal sealed class OperatorFixture : IAsyncDisposable
{
    public const string Ns = "registry";
    public static readonly ResourceKind Policies = new($"apis/{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}", RegistryPolicyCrd.Plural);
    public static readonly ResourceKind Events = new("api/v1", "events");
    private readonly List<(CancellationTokenSource Stop, Task<int> Run)> _replicas = [];
    private readonly List<string> _files = [];

    private OperatorFixture(FakeKubernetesApi api)
    {
        Api = api;
        Client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = api.Url });
        Connection = KubernetesApi.Create(new KubernetesClientConfiguration { Host = api.Url });
    }

    public FakeKubernetesApi Api { get; }

    /// <summary>KubernetesClient's client, for what the tests themselves ask the API server.</summary>
    public IKubernetes Client { get; }

    /// <summary>The operator's own connection (<see cref="KubernetesApi"/>), for the product code a test runs in-process.</summary>
    public KubernetesApi Connection { get; }

    /// <summary>
    /// The tenancy rules every replica and operator process of this fixture runs with: the test
    /// namespace may maintain any etcd on loopback, with analysis, at any retention the tests use.
    /// A test of the rules themselves sets its own before starting a replica.
    /// </summary>
    public string TenancyYaml { get; set; } = $$"""
        rules:
          - namespaces: [{{Ns}}]
            endpoints: ["127.0.0.0/8"]
            minRetention: 0s
            minRetainRevisions: 0
            analysis: true
        """;

    public static async Task<OperatorFixture> StartAsync() => new(await FakeKubernetesApi.StartAsync());

    /// <summary>Starts a replica; stop it with the returned source. Its metrics go to <paramref name="metrics"/> when given.</summary>
    public (ElectedController Host, CancellationTokenSource Stop, Task<int> Run) StartReplica(OperatorOptions? options = null, Microsoft.Extensions.Logging.ILoggerFactory? logging = null,
        Prometheus.CollectorRegistry? metrics = null)
    {
        options = (options ?? new OperatorOptions()) with { Tenancy = TenancyFile.Parse(TenancyYaml, "test-tenancy.yaml") };
        var host = new ElectedController(Connection, options, TimeProvider.System, logging ?? NullLoggerFactory.Instance, new HygieneMetrics(metrics ?? new Prometheus.CollectorRegistry()),
            new EtcdHygiene.Etcd.EtcdClientPool());
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => host.RunAsync(stop.Token));
        _replicas.Add((stop, run));
        return (host, stop, run);
    }

    /// <summary>What Prometheus would scrape from <paramref name="registry"/>.</summary>
    public static async Task<string> ScrapeAsync(Prometheus.CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>A kubeconfig file for the fake API server, for operator processes; the caller deletes it.</summary>
    public string WriteKubeconfig()
    {
        var path = Path.Combine(Path.GetTempPath(), $"etcd-hygiene-kubeconfig-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: fake, cluster: {"{"}server: "{Api.Url}"{"}"}{"}"}]
            users: [{"{"}name: tester, user: {"{"}token: not-checked-by-the-fake{"}"}{"}"}]
            contexts: [{"{"}name: fake, context: {"{"}cluster: fake, user: tester{"}"}{"}"}]
            current-context: fake
            """);
        return path;
    }

    /// <summary>A file holding <see cref="TenancyYaml"/> as it is now, for operator processes (<c>--tenancy-config</c>); deleted with the fixture.</summary>
    public string TenancyConfig()
    {
        var path = Path.Combine(Path.GetTempPath(), $"etcd-hygiene-tenancy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, TenancyYaml);
        _files.Add(path);
        return path;
    }

    /// <summary>Creates or replaces a Secret in the policies' namespace holding <paramref name="data"/> (base64-encoded here).</summary>
    public void ApplySecret(string name, params (string Key, string Value)[] data)
    {
        var values = new JsonObject();
        foreach (var (key, value) in data)
        {
            values[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value));
        }
        Api.Apply(new("api/v1", "secrets"), Ns, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["data"] = values,
        });
    }

    /// <summary>Creates or replaces a policy through the API server's admission (schema, defaults, CEL), as kubectl apply would.</summary>
    /// <param name="credentialsSecret">The Secret spec.etcd.credentialsSecretRef names, if any.</param>
    /// <param name="tlsSecret">The Secret spec.etcd.tlsSecretRef names, if any.</param>
    /// <remarks>
    /// The Secrets are named in the same write: a policy applied without them and edited after would
    /// be reconciled in between, and a test could read what that first version reported.
    /// </remarks>
    public JsonObject ApplyPolicy(string name, IEnumerable<string> endpoints, JsonObject? specExtra = null, string? credentialsSecret = null, string? tlsSecret = null)
    {
        var policy = PolicyObject(name, endpoints, specExtra);
        var etcd = policy["spec"]!["etcd"]!;
        if (credentialsSecret is not null)
        {
            etcd["credentialsSecretRef"] = new JsonObject { ["name"] = credentialsSecret };
        }
        if (tlsSecret is not null)
        {
            etcd["tlsSecretRef"] = new JsonObject { ["name"] = tlsSecret };
        }
        return Api.Apply(Policies, Ns, policy);
    }

    /// <summary>
    /// Stores a policy the CRD's schema refuses today, the one way a real cluster comes to hold
    /// one: it was stored under an earlier, looser schema.
    /// </summary>
    public JsonObject StorePolicyFromAnEarlierSchema(string name, IEnumerable<string> endpoints, JsonObject? specExtra = null) =>
        Api.StoreAsIs(Policies, Ns, PolicyObject(name, endpoints, specExtra));

    private static JsonObject PolicyObject(string name, IEnumerable<string> endpoints, JsonObject? specExtra)
    {
        var spec = new JsonObject { ["etcd"] = new JsonObject { ["endpoints"] = new JsonArray(endpoints.Select(e => (JsonNode)e).ToArray()), ["requestTimeout"] = "3s", ["defragTimeout"] = "30s" } };
        foreach (var (key, value) in specExtra ?? [])
        {
            spec[key] = value?.DeepClone();
        }
        return new JsonObject
        {
            ["apiVersion"] = $"{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}",
            ["kind"] = "RegistryPolicy",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = spec,
        };
    }

    public JsonObject? Policy(string name) => Api.Get(Policies, Ns, name);

    public JsonObject? Condition(string name, string type) =>
        Policy(name)?["status"]?["conditions"]?.AsArray().OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);

    public bool ConditionIs(string name, string type, string status) => (string?)Condition(name, type)?["status"] == status;

    /// <summary>The events about a policy, oldest first.</summary>
    public IReadOnlyList<(string Type, string Reason, string Message)> EventsOf(string name) =>
        Api.List(Events)
            .Where(e => (string?)e["involvedObject"]?["name"] == name)
            .OrderBy(e => long.Parse((string)e["metadata"]!["resourceVersion"]!))
            .Select(e => ((string)e["type"]!, (string)e["reason"]!, (string)e["message"]!))
            .ToList();

    /// <summary>How many times a policy was told <paramref name="reason"/>: similar events share one Event object and count there.</summary>
    public int EventCount(string name, string reason) =>
        Api.List(Events).Where(e => (string?)e["involvedObject"]?["name"] == name && (string?)e["reason"] == reason).Sum(e => (int)e["count"]!);

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null, string? what = null, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not reached in time: {what}{(describe is null ? "" : Environment.NewLine + describe())}");
            }
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (stop, run) in _replicas)
        {
            stop.Cancel();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
            }
        }
        await Api.DisposeAsync();
        foreach (var file in _files)
        {
            File.Delete(file);
        }
    }
}
