using System.CommandLine;
using EtcdHygiene.Kubernetes.Crd;

namespace EtcdHygiene.Operator.Commands;

/// <summary><c>etcd-hygiene crd</c>: prints the RegistryPolicy CRD generated from the C# API types.</summary>
internal static class CrdCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of stdout." };
        var command = new Command("crd", "Print the RegistryPolicy CustomResourceDefinition (kubectl apply -f - takes it).") { output };
        command.SetAction(async parse =>
        {
            var yaml = RegistryPolicyCrd.Yaml();
            if (parse.GetValue(output) is { } path)
            {
                await File.WriteAllTextAsync(path, yaml);
            }
            else
            {
                await Console.Out.WriteAsync(yaml);
            }
            return 0;
        });
        return command;
    }
}
