using System.Diagnostics.CodeAnalysis;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace EtcdHygiene.Operator.Hosting;

/// <summary>
/// The generic host that <c>run</c> and <c>operator</c> share: logging, the shutdown grace
/// period, SIGTERM/Ctrl-C through the host's lifetime (systemd's under systemd, with readiness
/// notification for <c>Type=notify</c>), metrics, and — when metrics or probes are asked for —
/// one Kestrel server for /metrics, /healthz and /readyz (<see cref="HttpEndpoints"/>). Without
/// them, no web server starts and ASP.NET Core is never loaded.
/// </summary>
public static class HygieneHost
{
    /// <summary>Health checks with this tag answer /readyz; /healthz runs none (it answers while the process serves).</summary>
    public const string ReadyTag = "ready";

    /// <summary>A builder with the shared services; the command adds its worker and its readiness check.</summary>
    public static IHostApplicationBuilder CreateBuilder(HostSettings settings)
    {
        var builder = Serves(settings) ? HttpEndpoints.CreateBuilder() : Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
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
        builder.Services.AddSingleton<EtcdClientPool>();
        builder.Services.AddHostedService<ExitOnSecondSignal>();
        builder.Services.AddHostedService<IdleMemoryTrim>();
        return builder;
    }

    /// <summary>Registers the check behind /readyz, when probes are served at all.</summary>
    public static void AddReadinessCheck<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TCheck>(IHostApplicationBuilder builder, HostSettings settings, string name) where TCheck : class, IHealthCheck
    {
        if (settings.Probes is not null)
        {
            builder.Services.AddHealthChecks().AddCheck<TCheck>(name, tags: [ReadyTag]);
        }
    }

    /// <summary>Builds the host and runs it until it stops; the exit code its parts recorded.</summary>
    public static async Task<int> RunAsync(IHostApplicationBuilder builder, HostSettings settings)
    {
        var host = Serves(settings) ? HttpEndpoints.Build(builder, settings) : ((HostApplicationBuilder)builder).Build();
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

    private static bool Serves(HostSettings settings) => settings.Metrics is not null || settings.Probes is not null;
}
