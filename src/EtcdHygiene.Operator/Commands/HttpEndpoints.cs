using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Commands;

/// <summary>A small Kestrel listener for probes or metrics, on its own address as Kubernetes convention wants.</summary>
internal static class HttpEndpoints
{
    /// <summary>Starts a listener on <paramref name="address"/> ("host:port", ":port", or "0" for none).</summary>
    public static async Task<IAsyncDisposable> StartAsync(string address, Action<WebApplication> map)
    {
        if (address == "0")
        {
            return new Nothing();
        }
        var (ip, port) = Parse(address);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(ip, port));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    private static (IPAddress, int) Parse(string address)
    {
        var separator = address.LastIndexOf(':');
        var host = separator <= 0 ? "" : address[..separator].Trim('[', ']');
        if (!int.TryParse(address[(separator + 1)..], out var port) || port is < 0 or > 65535)
        {
            throw new ArgumentException($"\"{address}\" is not host:port, :port or 0");
        }
        return (host.Length == 0 ? IPAddress.Any : host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(host), port);
    }

    private sealed class Nothing : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
