using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Tests.Simulation;

/// <summary>
/// The loggers of one schedule's processes: every line, at every level, with its exception's
/// messages, is searched for the etcd password the policies' credentials carry (rule 6); the
/// lines are not kept. A leak is kept with where it was said.
/// </summary>
internal sealed class SecretWatch(string secret) : ILoggerFactory
{
    /// <summary>The password every world's credentials Secret holds; nothing the tool says may contain it.</summary>
    public const string Password = "explorer-Pa55w0rd-not-for-logs";

    /// <summary>The lines that contained it (the first few).</summary>
    public List<string> Leaks { get; } = [];

    /// <summary>How many lines were searched: the positive control that the watch sees the tool's logs.</summary>
    public int Lines { get; private set; }

    /// <summary>Searches <paramref name="text"/>, said by <paramref name="where"/>, for the password.</summary>
    public void Search(string where, string? text)
    {
        if (text is not null && text.Contains(secret, StringComparison.Ordinal) && Leaks.Count < 5)
        {
            Leaks.Add($"{where}: {text}");
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private sealed class Logger(SecretWatch watch, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            watch.Lines++;
            watch.Search($"log {category}", formatter(state, exception));
            for (var e = exception; e is not null; e = e.InnerException)
            {
                watch.Search($"log {category} ({e.GetType().Name})", e.Message);
            }
        }
    }
}
