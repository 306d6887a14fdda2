using EtcdHygiene.Kubernetes.Crd;
using EtcdHygiene.Testing.Kubernetes;
using k8s;

namespace EtcdHygiene.Kubernetes.Tests;

/// <summary>A test class with its own test API server and a real KubernetesClient talking to it.</summary>
public abstract class AgainstTheFakeApi : IAsyncLifetime
{
    protected const string Ns = "registry";
    protected static readonly ResourceKind Policies = new($"apis/{RegistryPolicyCrd.Group}/{RegistryPolicyCrd.Version}", RegistryPolicyCrd.Plural);

    protected FakeKubernetesApi Api { get; private set; } = null!;

    protected k8s.Kubernetes Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Api = await FakeKubernetesApi.StartAsync();
        Client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = Api.Url });
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
    }
}
