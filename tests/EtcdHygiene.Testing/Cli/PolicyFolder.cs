namespace EtcdHygiene.Testing.Cli;

/// <summary>Writes RegistryPolicy manifests for a test cluster into a temp folder it deletes.</summary>
public sealed class PolicyFolder : IDisposable
{
    /// <summary>Creates an empty folder.</summary>
    public PolicyFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "etcd-hygiene-policies-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path);
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>A state directory inside the folder.</summary>
    public string StateDirectory => System.IO.Path.Combine(Path, "state");

    /// <summary>
    /// Writes a policy named <paramref name="name"/> for <paramref name="endpoints"/>; <paramref name="specExtra"/>
    /// is YAML indented by two spaces, appended under spec.
    /// </summary>
    public string Write(string name, IEnumerable<string> endpoints, string specExtra = "", string defragTimeout = "30s")
    {
        var file = System.IO.Path.Combine(Path, $"{name}.yaml");
        File.WriteAllText(file, $"""
            apiVersion: etcdhygiene.io/v1alpha1
            kind: RegistryPolicy
            metadata:
              name: {name}
            spec:
              etcd:
                endpoints: [{string.Join(", ", endpoints.Select(e => $"\"{e}\""))}]
                requestTimeout: 3s
                defragTimeout: {defragTimeout}
            {specExtra}
            """);
        return file;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
