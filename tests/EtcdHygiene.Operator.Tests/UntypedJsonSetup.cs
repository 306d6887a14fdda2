using System.Runtime.CompilerServices;
using EtcdHygiene.Testing.Kubernetes;

namespace EtcdHygiene.Operator.Tests;

internal static class UntypedJsonSetup
{
    /// <summary>Before any test: KubernetesClient's serializer takes the tests' untyped JSON (<see cref="UntypedJsonForClient"/>).</summary>
    [ModuleInitializer]
    internal static void Register() => UntypedJsonForClient.Register();
}
