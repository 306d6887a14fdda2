using System.Net;

namespace EtcdHygiene.Operator.Hosting;

/// <summary>An address to serve HTTP on, as the bind-address flags take it: "host:port" or ":port".</summary>
public sealed record ListenAddress(IPAddress Address, int Port)
{
    /// <summary>
    /// <paramref name="text"/> as an address, or null for "0" (serve nothing); an
    /// <see cref="ArgumentException"/> says what is wrong.
    /// </summary>
    public static ListenAddress? Parse(string text, string flag)
    {
        if (text == "0")
        {
            return null;
        }
        var separator = text.LastIndexOf(':');
        var host = separator <= 0 ? "" : text[..separator].Trim('[', ']');
        if (!int.TryParse(text[(separator + 1)..], out var port) || port is < 0 or > 65535)
        {
            throw new ArgumentException($"{flag}: \"{text}\" is not host:port, :port or 0");
        }
        if (host.Length == 0)
        {
            return new ListenAddress(IPAddress.Any, port);
        }
        if (host == "localhost")
        {
            return new ListenAddress(IPAddress.Loopback, port);
        }
        return IPAddress.TryParse(host, out var ip)
            ? new ListenAddress(ip, port)
            : throw new ArgumentException($"{flag}: \"{host}\" is not an IP address (or localhost)");
    }
}
