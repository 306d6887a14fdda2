using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Prometheus;

namespace EtcdHygiene.Operator.Hosting;

/// <summary>
/// The web side of the host, kept apart so that a process serving neither metrics nor probes
/// never loads ASP.NET Core: at a hundred idle policies every mapped assembly shows in the footprint.
/// </summary>
internal static class HttpEndpoints
{
    /// <summary>A web application builder: the generic host plus Kestrel.</summary>
    public static IHostApplicationBuilder CreateBuilder() => WebApplication.CreateSlimBuilder();

    /// <summary>
    /// One Kestrel server listening on each address; /metrics answers only on the metrics address,
    /// /healthz and /readyz only on the probe address, as Kubernetes' conventions keep them apart.
    /// </summary>
    public static IHost Build(IHostApplicationBuilder builder, HostSettings settings)
    {
        var web = (WebApplicationBuilder)builder;
        if (settings.Probes is not null)
        {
            // /healthz answers "ok" while the process serves, even where no check is registered.
            web.Services.AddHealthChecks();
        }
        web.WebHost.UseKestrel(kestrel =>
        {
            foreach (var address in new[] { settings.Metrics, settings.Probes }.OfType<ListenAddress>().Distinct())
            {
                kestrel.Listen(address.Address, address.Port);
            }
        });
        var app = web.Build();
        if (settings.Metrics is { } metrics)
        {
            app.MapMetrics().RequireHost($"*:{metrics.Port}");
        }
        if (settings.Probes is { } probes)
        {
            // Liveness says only that the process is not wedged (it answers): the kubelet restarts a
            // pod whose liveness fails, and restarting every replica because the API server or the
            // Lease is away would only add a crash loop to the outage. What the process cannot do
            // right now is readiness' to say.
            app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteStatus }).RequireHost($"*:{probes.Port}");
            app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(HygieneHost.ReadyTag), ResponseWriter = WriteStatus })
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
