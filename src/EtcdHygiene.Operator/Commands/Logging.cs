using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Commands;

/// <summary>Console logging: one line per event, to stderr so that stdout stays for reports.</summary>
internal static class Logging
{
    public static ILoggerFactory Create(string format, LogLevel minimum = LogLevel.Information) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(minimum);
            builder.AddFilter("System.Net.Http", LogLevel.Warning);
            builder.AddFilter("Grpc", LogLevel.Warning);
            if (format == "json")
            {
                builder.AddJsonConsole(o =>
                {
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    o.UseUtcTimestamp = true;
                });
            }
            else
            {
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "HH:mm:ss ";
                    o.UseUtcTimestamp = true;
                });
            }
            builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
}
