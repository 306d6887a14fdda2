using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace EtcdHygiene.Operator.Hosting;

/// <summary>Console logging: one line per event, to stderr so that stdout stays for reports.</summary>
public static class LoggingSetup
{
    /// <summary>The two formats <c>--log-format</c> takes.</summary>
    public const string Text = "text", Json = "json";

    /// <summary>Configures <paramref name="builder"/> for <paramref name="format"/>.</summary>
    public static void Configure(ILoggingBuilder builder, string format, LogLevel minimum = LogLevel.Information)
    {
        builder.ClearProviders();
        builder.SetMinimumLevel(minimum);
        // The host's own lifecycle lines ("Application started. Press Ctrl+C…") say nothing to an operator's user.
        builder.AddFilter("Microsoft", LogLevel.Warning);
        // Its failures are told by this program in a line each (a port taken, a worker crashed), not as stack traces.
        builder.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.AddFilter("System.Net.Http", LogLevel.Warning);
        // A failing readiness check would log a "fail" line on every probe; what fails is logged
        // once by the part that knows (the Lease, the informer).
        builder.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None);
        builder.AddFilter("Grpc", LogLevel.Warning);
        if (format == Json)
        {
            builder.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.AddConsole(o => o.FormatterName = LineFormatter.FormatterName);
            // What AddConsoleFormatter registers, without its binding of options to configuration (reflection).
            builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, LineFormatter>());
        }
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    /// <summary>A logger factory for the short-lived commands (check, analyze), which run without a host.</summary>
    public static ILoggerFactory Create(string format, LogLevel minimum = LogLevel.Information) =>
        LoggerFactory.Create(builder => Configure(builder, format, minimum));
}
