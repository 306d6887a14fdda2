namespace EtcdHygiene.Operator.Standalone;

/// <summary>
/// One <c>run</c> per state directory: two processes writing the same state files would each
/// overwrite what the other recorded (the pause, the retention window). Held for the life of the
/// process by an exclusive lock on <c>.lock</c> in the directory (flock, released by the kernel
/// when the process ends, however it ends); <c>.lock-owner</c> names the holder's pid for the
/// error message (the locked file itself cannot be read by another process).
/// </summary>
public sealed class StateDirectoryLock : IDisposable
{
    private readonly FileStream _file;

    private StateDirectoryLock(FileStream file) => _file = file;

    /// <summary>Takes the lock of <paramref name="directory"/>, or throws <see cref="StateFileException"/> naming the process that holds it.</summary>
    public static StateDirectoryLock Take(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, ".lock");
        try
        {
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(OwnerOf(path), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return new StateDirectoryLock(file);
        }
        catch (IOException)
        {
            throw new StateFileException($"another etcd-hygiene run{Holder(path)} uses the state directory {directory}: "
                + "two processes would overwrite each other's state; stop it, or give this one its own --state-dir");
        }
    }

    private static string Holder(string path)
    {
        try
        {
            return File.ReadAllText(OwnerOf(path)) is { Length: > 0 } pid ? $" (pid {pid.Trim()})" : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string OwnerOf(string path) => path + "-owner";

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
