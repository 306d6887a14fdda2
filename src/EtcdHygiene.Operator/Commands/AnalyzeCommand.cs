using System.CommandLine;
using EtcdHygiene.Core.Analysis;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Etcd.Analysis;
using EtcdHygiene.Operator.Hosting;
using EtcdHygiene.Operator.Reporting;
using EtcdHygiene.Operator.Supervision;
using Microsoft.Extensions.Logging;

namespace EtcdHygiene.Operator.Commands;

/// <summary>
/// <c>etcd-hygiene analyze</c>: a one-off diagnosis of a live cluster without any policy — replay
/// the history etcd still retains under the prefixes, optionally follow live writes for a while,
/// print the ranked key groups. Reads only. Exit 0 when no group churns, 2 when one does, 1 on error.
/// </summary>
internal static class AnalyzeCommand
{
    public const int NoChurn = 0;
    public const int Error = 1;
    public const int ChurnFound = 2;

    /// <summary>How long the current write rate is measured to date replayed history.</summary>
    private static readonly TimeSpan RateSample = TimeSpan.FromSeconds(2);

    public static Command Create()
    {
        var endpoints = new Option<string[]>("--endpoints") { Description = "etcd client URLs, comma-separated or repeated.", Required = true };
        var prefixes = new Option<string[]>("--prefix") { Description = "A key prefix to analyse, e.g. /micro/registry/. Repeat for several.", Required = true };
        var fromRevision = new Option<long?>("--from-revision") { Description = "First revision to analyse; by default all the history etcd retains." };
        var watch = new Option<string?>("--watch") { Description = "Also follow live writes this long (a duration such as 1m) before printing." };
        var top = new Option<int>("--top") { Description = "Key groups and keys to print.", DefaultValueFactory = _ => 10 };
        var depth = new Option<int?>("--group-depth") { Description = "Group keys by this many leading path segments instead of by parent path." };
        var outputFormat = new Option<string>("--output", "-o")
        {
            Description = "text (a table for a person) or json (for scripts; schema in docs/analyze-output.schema.json).",
            DefaultValueFactory = _ => "text",
        }.AcceptOnlyFromAmong("text", "json");
        // etcdctl's names for the TLS files; the password comes from a file, never the command line (ps shows it).
        var caCert = new Option<string?>("--cacert") { Description = "CA bundle (PEM) that signed the etcd server certificates; the system roots otherwise." };
        var cert = new Option<string?>("--cert") { Description = "Client certificate (PEM), when etcd requires one (--client-cert-auth)." };
        var key = new Option<string?>("--key") { Description = "Private key (PEM) of --cert." };
        var user = new Option<string?>("--user") { Description = "etcd user, when etcd authentication is enabled; its password is read from --password-file." };
        var passwordFile = new Option<string?>("--password-file") { Description = "File holding the password of --user." };
        var command = new Command("analyze",
            "Find the writers whose no-op rewrites fill etcd: classify each write, rank key groups by no-op writes, and name the JSON paths that flip. Reads only.")
        {
            endpoints, prefixes, fromRevision, watch, top, depth, outputFormat, caCert, cert, key, user, passwordFile,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var logging = LoggingSetup.Create("text", LogLevel.Warning);
            EtcdTlsOptions? tls;
            EtcdCredentials? credentials;
            try
            {
                (tls, credentials) = Security(parse.GetValue(caCert), parse.GetValue(cert), parse.GetValue(key), parse.GetValue(user), parse.GetValue(passwordFile));
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return Error;
            }
            return await RunAsync(new AnalyzeRequest(
                parse.GetValue(endpoints)!.SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
                parse.GetValue(prefixes)!, parse.GetValue(fromRevision), parse.GetValue(watch), parse.GetValue(top), parse.GetValue(depth))
            {
                Tls = tls,
                Credentials = credentials,
                Json = parse.GetValue(outputFormat) == "json",
            },
                Console.Out, Console.Error, logging, cancellationToken);
        });
        return command;
    }

    /// <summary>TLS and credentials from the files named on the command line; an <see cref="ArgumentException"/> says what is wrong.</summary>
    private static (EtcdTlsOptions? Tls, EtcdCredentials? Credentials) Security(string? caCert, string? cert, string? key, string? user, string? passwordFile)
    {
        if ((cert is null) != (key is null))
        {
            throw new ArgumentException("--cert and --key go together");
        }
        if ((user is null) != (passwordFile is null))
        {
            throw new ArgumentException("--user and --password-file go together");
        }
        var tls = caCert is null && cert is null ? null : new EtcdTlsOptions
        {
            CaCertificatePem = Read(caCert, "--cacert"),
            ClientCertificatePem = Read(cert, "--cert"),
            ClientKeyPem = Read(key, "--key"),
        };
        var credentials = user is null ? null : new EtcdCredentials(user, Read(passwordFile, "--password-file")!.TrimEnd('\r', '\n'));
        return (tls, credentials);

        static string? Read(string? path, string option)
        {
            try
            {
                return path is null ? null : File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"{option}: cannot read {path}: {e.Message}");
            }
        }
    }

    public static async Task<int> RunAsync(AnalyzeRequest request, TextWriter output, TextWriter errors, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        if (request.Validate() is { } problem)
        {
            await errors.WriteLineAsync(problem);
            return Error;
        }
        var options = new EtcdConnectionOptions { Endpoints = request.Endpoints, Tls = request.Tls, Credentials = request.Credentials };
        var (clock, unreachable, stuck) = await MeasureRateAsync(options, request.Prefixes[0], cancellationToken);
        if (clock is null)
        {
            await errors.WriteLineAsync(stuck
                ? $"cannot read the history under {string.Join(", ", request.Prefixes)}, and retrying cannot cure it: {unreachable}"
                : $"cannot reach etcd at {string.Join(", ", request.Endpoints)}: {unreachable}");
            return Error;
        }
        var analysis = new ChurnAnalyzerOptions
        {
            Top = request.Top,
            GroupDepth = request.GroupDepth,
            // A one-off diagnosis looks at everything it reads, however old.
            Window = TimeSpan.FromDays(3650),
        };
        await using var watcher = new ChurnWatcher(options, request.Prefixes, analysis, TimeProvider.System, logging.CreateLogger(LogCategory.Analysis));
        watcher.Start(request.FromRevision, clock.Value.Clock);
        if (!await watcher.CatchUpAsync(TimeSpan.FromMinutes(5), cancellationToken))
        {
            await errors.WriteLineAsync(watcher.Stuck
                ? $"cannot read the history under {string.Join(", ", request.Prefixes)}, and retrying cannot cure it: {watcher.Problem}"
                : $"could not read the history: {watcher.Problem ?? "timed out"}");
            return Error;
        }
        if (request.Watch is { } follow)
        {
            // Progress goes where it cannot spoil the JSON a script reads.
            await (request.Json ? errors : output).WriteLineAsync($"Following live writes for {GoDuration.Format(follow)}...");
            try
            {
                await Task.Delay(follow, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C: print what was seen so far.
            }
        }
        var report = watcher.Report();
        var note = clock.Value.Measured ? null : "The cluster took no writes while its rate was measured.";
        if (watcher.LostRevisions > 0)
        {
            note = $"{note} {watcher.LostRevisions:N0} revisions were compacted before they could be read.".Trim();
        }
        await output.WriteAsync(request.Json ? AnalyzeDocument.Of(report, note, watcher.LostRevisions).ToJson() : ChurnTable.Render(report, note));
        return report.Churning.Count > 0 ? ChurnFound : NoChurn;
    }

    /// <summary>
    /// Two revisions <see cref="RateSample"/> apart date the replayed history by the current write
    /// rate: rough for old history, and none at all when the cluster is idle (or at NOSPACE). The
    /// revision comes from a read of the prefix, which a user who may only read it can make.
    /// </summary>
    /// <returns>The clock, or null, why etcd could not be read, and whether retrying could not cure it.</returns>
    private static async Task<((RevisionClock Clock, bool Measured)? Clock, string? Unreachable, bool Stuck)> MeasureRateAsync(
        EtcdConnectionOptions options, string prefix, CancellationToken cancellationToken)
    {
        var (from, problem, stuck) = await ChurnWatcher.RevisionAsync(options, prefix, cancellationToken);
        var fromAt = DateTimeOffset.UtcNow;
        if (from is null)
        {
            return (null, problem ?? "no member answered", stuck);
        }
        await Task.Delay(RateSample, cancellationToken);
        var (to, _, _) = await ChurnWatcher.RevisionAsync(options, prefix, cancellationToken);
        var toAt = DateTimeOffset.UtcNow;
        if (to is null || to <= from)
        {
            return ((new RevisionClock([]), false), null, false);
        }
        return ((new RevisionClock([new RevisionSample(fromAt, from.Value), new RevisionSample(toAt, to.Value)]), true), null, false);
    }
}
