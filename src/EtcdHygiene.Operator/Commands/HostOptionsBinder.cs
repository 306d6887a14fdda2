using System.CommandLine;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Operator.Hosting;

namespace EtcdHygiene.Operator.Commands;

/// <summary>The flags of the long-running commands (<c>run</c>, <c>operator</c>) that set up their host, and their binding to <see cref="HostSettings"/>.</summary>
internal sealed class HostOptionsBinder(string defaultMetrics, string defaultProbes)
{
    private readonly Option<string> _logFormat = CommonOptions.LogFormat();
    private readonly Option<string> _metrics = new("--metrics-bind-address")
    {
        Description = $"host:port serving Prometheus /metrics; \"0\" disables (default {defaultMetrics}).",
        DefaultValueFactory = _ => defaultMetrics,
    };
    private readonly Option<string> _probes = new("--health-probe-bind-address")
    {
        Description = $"host:port serving /healthz and /readyz; \"0\" disables (default {defaultProbes}).",
        DefaultValueFactory = _ => defaultProbes,
    };
    private readonly Option<string> _grace = new("--shutdown-grace-period")
    {
        Description = "How long a stop waits for an in-flight step (e.g. a defragmentation) to finish; a second SIGTERM or Ctrl-C does not wait.",
        DefaultValueFactory = _ => "5m",
    };

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_logFormat);
        command.Options.Add(_metrics);
        command.Options.Add(_probes);
        command.Options.Add(_grace);
    }

    /// <summary>The settings the flags give; an <see cref="ArgumentException"/> names a bad one.</summary>
    public HostSettings Bind(ParseResult parse)
    {
        if (!GoDuration.TryParse(parse.GetValue(_grace), out var grace) || grace < TimeSpan.Zero)
        {
            throw new ArgumentException($"--shutdown-grace-period takes a duration such as 5m (got {parse.GetValue(_grace)})");
        }
        return new HostSettings
        {
            LogFormat = parse.GetValue(_logFormat)!,
            ShutdownGracePeriod = grace,
            Metrics = ListenAddress.Parse(parse.GetValue(_metrics)!, "--metrics-bind-address"),
            Probes = ListenAddress.Parse(parse.GetValue(_probes)!, "--health-probe-bind-address"),
        };
    }
}
