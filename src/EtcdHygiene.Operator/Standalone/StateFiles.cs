using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Standalone;

/// <summary>
/// Keeps each policy's <see cref="HygieneState"/> in a JSON file so that a restart neither
/// postpones compaction by a whole retention period nor compacts past the window.
/// Writes go to a temp file first and are renamed into place: a crash never leaves half a file.
/// </summary>
public sealed class StateFiles
{
    private static readonly JsonTypeInfo<HygieneState> Json = (JsonTypeInfo<HygieneState>)new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        TypeInfoResolver = ApiJson.Default,
    }.GetTypeInfo(typeof(HygieneState));

    /// <summary>Keeps state files in <paramref name="directory"/>.</summary>
    public StateFiles(string directory)
    {
        Directory = directory;
    }

    /// <summary>Where the files are.</summary>
    public string Directory { get; }

    /// <summary>
    /// The default directory: systemd's $STATE_DIRECTORY, else $XDG_STATE_HOME/etcd-hygiene,
    /// else ~/.local/state/etcd-hygiene.
    /// </summary>
    public static string DefaultDirectory()
    {
        if (Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } systemd)
        {
            return systemd.Split(':')[0];
        }
        var xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "state") : xdg, "etcd-hygiene");
    }

    /// <summary>The file of one policy.</summary>
    public string PathOf(PolicyKey key) => Path.Combine(Directory, $"{key.Namespace}_{key.Name}.json");

    /// <summary>The kept state, or a fresh one when there is none yet.</summary>
    public HygieneState Load(PolicyKey key)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return new HygieneState();
        }
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), Json) ?? new HygieneState();
        }
        catch (JsonException e)
        {
            // Starting afresh only delays compaction by one retention period; it never compacts too far.
            throw new StateFileException($"{path} is not a valid state file ({e.Message}); move it away to start afresh");
        }
    }

    /// <summary>Saves the state atomically.</summary>
    public void Save(PolicyKey key, HygieneState state)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathOf(key);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(state, Json));
        File.Move(temp, path, overwrite: true);
    }
}
