using System.CommandLine;

namespace EtcdHygiene.Operator.Commands;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<string[]> Policies() => new("--policy", "-p")
    {
        Description = "A RegistryPolicy YAML file (the manifest you would kubectl apply). Repeat for several clusters.",
        Required = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string> StateDirectory() => new("--state-dir")
    {
        Description = "Where revision samples and defrag history are kept across restarts.",
        DefaultValueFactory = _ => Standalone.StateFiles.DefaultDirectory(),
    };

    public static Option<string?> SecretsDirectory() => new("--secrets-dir")
    {
        Description = "Where the Secrets policies name are, as Kubernetes mounts them: DIR/<secret>/<key> (ca.crt, tls.crt, tls.key; username, password).",
    };

    public static Option<string> LogFormat() => new Option<string>("--log-format")
    {
        Description = "text or json (one structured line per action).",
        DefaultValueFactory = _ => Hosting.LoggingSetup.Text,
    }.AcceptOnlyFromAmong(Hosting.LoggingSetup.Text, Hosting.LoggingSetup.Json);
}
