namespace EtcdHygiene.Testing.Etcd;

/// <summary>Finds the etcd executable; tests fail loudly rather than skip when it is missing.</summary>
public static class EtcdBinary
{
    /// <summary>Path of etcd: $ETCD_BINARY, else the first etcd on PATH.</summary>
    public static string Locate() => Locate("etcd", "ETCD_BINARY");

    /// <summary>The version of the etcd the tests run, e.g. 3.5.30, as <c>etcd --version</c> prints it.</summary>
    public static string Version()
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(Locate(), "--version") { RedirectStandardOutput = true })!;
        var first = process.StandardOutput.ReadLine() ?? "";
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return first.Split(':', 2) is [_, var version] ? version.Trim() : throw new InvalidOperationException($"etcd --version printed '{first}'");
    }

    /// <summary>Path of etcdctl: $ETCDCTL_BINARY, else the first etcdctl on PATH.</summary>
    public static string LocateEtcdctl() => Locate("etcdctl", "ETCDCTL_BINARY");

    private static string Locate(string name, string variable)
    {
        var configured = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{variable}={configured} does not exist");
        }
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
        return path ?? throw new InvalidOperationException(
            $"'{name}' is not on PATH. These tests need a real etcd: run scripts/test.sh, which installs " +
            $"Debian's etcd-server and etcd-client, or set {variable}.");
    }
}
