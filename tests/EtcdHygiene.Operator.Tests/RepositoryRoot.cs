namespace EtcdHygiene.Operator.Tests;

/// <summary>The checkout's root, found from the test binaries.</summary>
internal static class RepositoryRoot
{
    public static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Operator.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Operator.sln not found above the test binaries");
    }
}
