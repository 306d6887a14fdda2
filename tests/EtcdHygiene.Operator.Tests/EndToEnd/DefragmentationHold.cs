using System.Text.RegularExpressions;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>
/// Holds a defragmentation of an etcd-hygiene process in flight: the member is stopped (SIGSTOP)
/// as soon as the process logs that it starts defragmenting it. A small defragmentation can finish
/// before the signal lands; then the "done" line follows, the member is let go, and the next
/// member's defragmentation is caught instead. Held means stopped for a second with no "done".
/// </summary>
internal sealed partial class DefragmentationHold
{
    private readonly object _gate = new();
    private readonly EtcdTestCluster _cluster;
    private EtcdTestMember? _member;
    private DateTime _since;

    /// <summary>Starts watching <paramref name="process"/>'s log.</summary>
    public DefragmentationHold(CliProcess process, EtcdTestCluster cluster)
    {
        _cluster = cluster;
        process.LineWritten += Seen;
    }

    /// <summary>Waits until a defragmentation is held in flight and returns its member.</summary>
    public async Task<EtcdTestMember> HeldAsync(TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_gate)
            {
                if (_member is { } member && DateTime.UtcNow - _since > TimeSpan.FromSeconds(1))
                {
                    return member;
                }
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"no defragmentation could be held in flight:{Environment.NewLine}{describe()}");
    }

    /// <summary>The member held, if any, so a test can always let it go.</summary>
    public EtcdTestMember? Member
    {
        get { lock (_gate) { return _member; } }
    }

    private void Seen(string line)
    {
        if (DefragLine().Match(line) is not { Success: true } match
            || _cluster.Members.FirstOrDefault(m => m.Name == match.Groups["member"].Value) is not { } member)
        {
            return;
        }
        lock (_gate)
        {
            if (!match.Groups["done"].Success && _member is null)
            {
                member.Pause();
                (_member, _since) = (member, DateTime.UtcNow);
            }
            else if (match.Groups["done"].Success && _member == member && DateTime.UtcNow - _since < TimeSpan.FromSeconds(1))
            {
                // Stopped too late: the step had finished. Let it go and catch the next one.
                member.Resume();
                _member = null;
            }
        }
    }

    [GeneratedRegex(@": Defragment (?<member>\S+)(: | (?<done>done) in )")]
    private static partial Regex DefragLine();
}
