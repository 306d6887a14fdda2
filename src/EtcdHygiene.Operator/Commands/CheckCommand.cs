using System.CommandLine;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Etcd.Locking;
using EtcdHygiene.Operator.Reporting;
using EtcdHygiene.Operator.Standalone;

namespace EtcdHygiene.Operator.Commands;

/// <summary>
/// <c>etcd-hygiene check</c>: observe once, print the members and the plan with reasons, change
/// nothing. Exit codes follow <c>terraform plan -detailed-exitcode</c>: 0 nothing to do, 2 action
/// pending, 1 error; and 3 when an alarm is active that nothing etcd-hygiene may do clears: a
/// person must act (the plan says why).
/// </summary>
internal static class CheckCommand
{
    public const int NothingToDo = 0;
    public const int Error = 1;
    public const int ActionPending = 2;
    public const int PersonMustAct = Hosting.ExitCode.PersonMustAct;

    public static Command Create()
    {
        var policies = CommonOptions.Policies();
        var stateDir = CommonOptions.StateDirectory();
        var secretsDir = CommonOptions.SecretsDirectory();
        var command = new Command("check", "Dry run: observe each cluster once and print what the hygiene would do, and why. Changes nothing.")
        {
            policies, stateDir, secretsDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
            await RunAsync(parse.GetValue(policies)!, parse.GetValue(stateDir)!, parse.GetValue(secretsDir), Console.Out, Console.Error, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(IEnumerable<string> policyFiles, string stateDirectory, string? secretsDirectory, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        IReadOnlyList<PolicySource> sources;
        try
        {
            sources = PolicySource.LoadAll(policyFiles, secretsDirectory);
        }
        catch (PolicyFileException e)
        {
            await errors.WriteLineAsync(e.Message);
            return Error;
        }

        var store = new StateFiles(stateDirectory);
        var exit = NothingToDo;
        var clients = new EtcdClientPool();
        var clusters = new Dictionary<ulong, List<PolicyKey>>();
        foreach (var source in sources)
        {
            var policy = source.Policy;
            await using var etcd = new EtcdClusterConnection(source.Connection);
            var snapshot = await etcd.ObserveAsync(cancellationToken);
            HygieneState state;
            try
            {
                state = store.Load(policy.Key);
            }
            catch (StateFileException e)
            {
                await errors.WriteLineAsync(e.Message);
                return Error;
            }
            // As a cycle's first look prepares it, only for this plan: check never writes the state file.
            state = ObservedState.AtFirstLook(policy, state, snapshot, out var dropped);
            var plan = HygienePlanner.Plan(policy, snapshot, state, new CycleProgress(), TimeProvider.System);
            if (dropped is not null)
            {
                plan = plan with { Notes = [dropped, .. plan.Notes] };
            }
            await output.WriteLineAsync(CheckReport.Render(policy, snapshot, plan));
            await output.WriteLineAsync(await MaintainerAsync(policy, source, snapshot, clients, clusters, cancellationToken));
            exit = Worst(exit, ExitFor(snapshot, plan));
        }
        return exit;
    }

    /// <summary>
    /// Who maintains the cluster, as its lock says (read only), and which other policies of this
    /// check reach the same cluster: what a second policy or process for a cluster means.
    /// </summary>
    private static async Task<string> MaintainerAsync(HygienePolicy policy, PolicySource source, Core.Observation.ClusterSnapshot snapshot, EtcdClientPool clients,
        Dictionary<ulong, List<PolicyKey>> clusters, CancellationToken cancellationToken)
    {
        if (snapshot.ClusterId is not { } cluster || snapshot.Members.FirstOrDefault(m => m.Reachable)?.Endpoint is not { } endpoint)
        {
            return "Maintainer: unknown (no member answered)";
        }
        var prefix = policy.Etcd.LockPrefix;
        string holder;
        try
        {
            using var client = clients.Client(endpoint, source.Connection);
            holder = await ClusterLock.HolderAsync(client.Value, prefix, policy.Etcd.RequestTimeout, cancellationToken) is { } name
                ? $"{name} holds the lock under {prefix}: other processes wait for it"
                : $"nobody holds the lock under {prefix}";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            holder = $"unknown (the lock under {prefix} cannot be read: {EtcdErrors.Classify(e, "Range", endpoint).Detail})";
        }
        var line = $"Cluster {cluster:x}: {holder}";
        if (!clusters.TryGetValue(cluster, out var others))
        {
            clusters[cluster] = others = [];
        }
        if (others.Count > 0)
        {
            line += $"; {string.Join(", ", others)} reach the same cluster: in one run, their steps take turns";
        }
        others.Add(policy.Key);
        return line;
    }

    /// <summary>Of two policies' codes, the one a caller must hear: an error, then a person must act, then pending.</summary>
    private static int Worst(int a, int b)
    {
        int[] severity = [NothingToDo, ActionPending, PersonMustAct, Error];
        return Array.IndexOf(severity, a) >= Array.IndexOf(severity, b) ? a : b;
    }

    /// <summary>The exit code for one policy.</summary>
    private static int ExitFor(Core.Observation.ClusterSnapshot snapshot, HygienePlan plan) =>
        !snapshot.Members.Any(m => m.Reachable) || !snapshot.AlarmsKnown ? Error
        : snapshot.Alarms.Count > 0 && !plan.HasSteps ? PersonMustAct
        : plan.HasSteps ? ActionPending
        : NothingToDo;
}
