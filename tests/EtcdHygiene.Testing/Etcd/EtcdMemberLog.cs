using System.Text.Json;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>
/// Reads a member's own log (zap JSON, one object a line, across restarts) for what was done to
/// it: tests check maintenance from etcd's side, not from the tool's account of itself.
/// </summary>
public static class EtcdMemberLog
{
    /// <summary>The events of <paramref name="member"/>, in log order.</summary>
    public static IReadOnlyList<EtcdLogEvent> Read(EtcdTestMember member)
    {
        var events = new List<EtcdLogEvent>();
        if (!File.Exists(member.LogPath))
        {
            return events;
        }
        using var stream = new FileStream(member.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (Parse(member.Name, line) is { } parsed)
            {
                events.Add(parsed);
            }
        }
        return events;
    }

    private static EtcdLogEvent? Parse(string member, string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }
        try
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (!root.TryGetProperty("msg", out var msg) || !root.TryGetProperty("ts", out var ts) || ts.ValueKind != JsonValueKind.String)
            {
                return null;
            }
            var at = DateTimeOffset.Parse(ts.GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            return msg.GetString() switch
            {
                "starting an etcd server" => new EtcdLogEvent(member, at, EtcdLogEventKind.Started),
                "starting defragment" => new EtcdLogEvent(member, at, EtcdLogEventKind.DefragmentStarted),
                "finished defragment" => new EtcdLogEvent(member, at, EtcdLogEventKind.DefragmentFinished),
                "compact tree index" when root.TryGetProperty("revision", out var revision) => new EtcdLogEvent(member, at, EtcdLogEventKind.Compacted, revision.GetInt64()),
                _ => null,
            };
        }
        catch (JsonException)
        {
            // A line cut short by a SIGKILL.
            return null;
        }
    }
}
