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
    /// Writes a policy named <paramref name="name"/> for <paramref name="endpoints"/> with short
    /// timeouts that keep tests quick; <paramref name="specExtra"/> is YAML indented by two spaces,
    /// appended under spec.
    /// </summary>
    public string Write(string name, IEnumerable<string> endpoints, string specExtra = "", string defragTimeout = "30s") =>
        WriteManifest(name, endpoints, $"requestTimeout: 3s{Environment.NewLine}    defragTimeout: {defragTimeout}", specExtra);

    /// <summary>
    /// Writes a policy that names only its endpoints (and <paramref name="specExtra"/>, YAML
    /// indented by two spaces): everything else at the defaults a new user gets.
    /// </summary>
    public string WriteDefaults(string name, IEnumerable<string> endpoints, string specExtra = "") =>
        WriteManifest(name, endpoints, "", specExtra);

    private string WriteManifest(string name, IEnumerable<string> endpoints, string etcdExtra, string specExtra)
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
                {etcdExtra}
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
