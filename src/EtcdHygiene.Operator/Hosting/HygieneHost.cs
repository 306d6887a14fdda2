using EtcdHygiene.Operator.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Prometheus;

namespace EtcdHygiene.Operator.Hosting;

/// <summary>
/// The generic host that <c>run</c> and <c>operator</c> share: logging, the shutdown grace
/// period, SIGTERM/Ctrl-C through the host's lifetime (systemd's under systemd, with readiness
/// notification for <c>Type=notify</c>), health checks, metrics, and one Kestrel server for
/// /metrics, /healthz and /readyz when any of them is asked for. Without one, no web server starts.
/// </summary>
public static class HygieneHost
{
    /// <summary>Health checks with this tag answer /readyz; every check answers /healthz.</summary>
    public const string ReadyTag = "ready";

    /// <summary>A builder with the shared services; the command adds its worker and checks.</summary>
    public static IHostApplicationBuilder CreateBuilder(HostSettings settings)
    {
        IHostApplicationBuilder builder = settings.Metrics is null && settings.Probes is null
            ? Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings())
            : WebApplication.CreateSlimBuilder();
        builder.Services.AddSystemd();
        // journald stamps each line itself and reads the level from systemd's prefix; JSON stays JSON.
        if (settings.LogFormat == LoggingSetup.Json || !SystemdHelpers.IsSystemdService())
        {
            LoggingSetup.Configure(builder.Logging, settings.LogFormat);
        }
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownGracePeriod);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ExitCode>();
        builder.Services.AddSingleton<HygieneMetrics>();
        builder.Services.AddHostedService<ExitOnSecondSignal>();
        builder.Services.AddHealthChecks();
        return builder;
    }

    /// <summary>Builds the host and runs it until it stops; the exit code its parts recorded.</summary>
    public static async Task<int> RunAsync(IHostApplicationBuilder builder, HostSettings settings)
    {
        var host = Build(builder, settings);
        // RunAsync disposes the host and its services: take what tells the outcome first.
        var exit = host.Services.GetRequiredService<ExitCode>();
        try
        {
            await host.RunAsync();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            // Kestrel could not bind (the address is taken or not this machine's).
            await Console.Error.WriteLineAsync($"cannot serve metrics or probes: {e.Message}");
            return 1;
        }
        return exit.Value;
    }

    /// <summary>Builds the host, with its HTTP endpoints when the settings ask for them.</summary>
    public static IHost Build(IHostApplicationBuilder builder, HostSettings settings)
    {
        if (builder is HostApplicationBuilder plain)
        {
            return plain.Build();
        }
        var web = (WebApplicationBuilder)builder;
        web.WebHost.UseKestrel(kestrel =>
        {
            foreach (var address in new[] { settings.Metrics, settings.Probes }.OfType<ListenAddress>().Distinct())
            {
                kestrel.Listen(address.Address, address.Port);
            }
        });
        var app = web.Build();
        // Each path only on its own address, as Kubernetes' conventions keep probes and metrics apart.
        if (settings.Metrics is { } metrics)
        {
            app.MapMetrics().RequireHost($"*:{metrics.Port}");
        }
        if (settings.Probes is { } probes)
        {
            app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = WriteStatus }).RequireHost($"*:{probes.Port}");
            app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteStatus })
                .RequireHost($"*:{probes.Port}");
        }
        return app;
    }

    /// <summary>"ok", or what is not (probes are read by people too).</summary>
    private static Task WriteStatus(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain";
        var text = report.Status == HealthStatus.Healthy
            ? "ok"
            : string.Join("; ", report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => e.Value.Description ?? e.Key));
        return context.Response.WriteAsync(text);
    }
}
