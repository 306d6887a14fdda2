using System.IO.Enumeration;
using System.Net;

namespace EtcdHygiene.Core.Tenancy;

/// <summary>
/// Which etcd endpoints a tenancy rule lets a policy name: a CIDR (<c>10.20.0.0/16</c>, <c>fd00::/8</c>),
/// which matches endpoints whose host is an IP address in it, or a host name pattern
/// (<c>etcd-0.etcd.team-a.svc</c>, <c>*.team-a.svc.cluster.local</c>, <c>*</c>; case-insensitive,
/// <c>*</c> matches any characters, dots included), either followed by <c>:port</c> to allow only
/// that port. Host names are matched as written, never resolved: what a name resolves to is the
/// administrator's DNS, which a tenant does not write.
/// </summary>
public sealed class EndpointPattern
{
    private readonly IPNetwork? _network;
    private readonly string? _hostPattern;
    private readonly int? _port;

    private EndpointPattern(string text, IPNetwork? network, string? hostPattern, int? port)
    {
        Text = text;
        _network = network;
        _hostPattern = hostPattern;
        _port = port;
    }

    /// <summary>The pattern as the administrator wrote it.</summary>
    public string Text { get; }

    /// <summary>Parses a pattern, or says why it is not one.</summary>
    public static EndpointPattern Parse(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            throw new FormatException("an endpoint pattern is empty");
        }
        if (trimmed.Contains("://", StringComparison.Ordinal))
        {
            throw new FormatException($"endpoint pattern \"{text}\" names a scheme: write the host (and :port), e.g. *.etcd.svc:2379 or 10.0.0.0/8");
        }
        if (IPNetwork.TryParse(trimmed, out var network))
        {
            return new EndpointPattern(text, network, null, null);
        }
        var (host, port) = SplitPort(trimmed, text);
        if (IPNetwork.TryParse(host, out network))
        {
            return new EndpointPattern(text, network, null, port);
        }
        if (host.Contains('/'))
        {
            throw new FormatException($"endpoint pattern \"{text}\" is neither a CIDR nor a host pattern");
        }
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            return new EndpointPattern(text, new IPNetwork(address, address.GetAddressBytes().Length * 8), null, port);
        }
        return new EndpointPattern(text, null, host, port);
    }

    /// <summary>Whether the endpoint (an http(s) URL with host and port) is one this pattern allows.</summary>
    public bool Matches(Uri endpoint)
    {
        if (_port is { } port && endpoint.Port != port)
        {
            return false;
        }
        var host = endpoint.IdnHost.Trim('[', ']');
        if (_network is { } network)
        {
            return IPAddress.TryParse(host, out var address) && network.Contains(address);
        }
        return FileSystemName.MatchesSimpleExpression(_hostPattern!, host, ignoreCase: true);
    }

    private static (string Host, int? Port) SplitPort(string trimmed, string text)
    {
        // "[fd00::1]:2379", "host:2379", "host"; an IPv6 address without brackets has no port.
        var colon = trimmed.LastIndexOf(':');
        if (colon < 0 || (trimmed.IndexOf(':') != colon && !trimmed.StartsWith('[')))
        {
            return (trimmed, null);
        }
        var portText = trimmed[(colon + 1)..];
        if (!int.TryParse(portText, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"endpoint pattern \"{text}\" has an invalid port \"{portText}\"");
        }
        return (trimmed[..colon], port);
    }
}
