using System.CommandLine;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using EtcdHygiene.Etcd;
using EtcdHygiene.Operator.Reporting;
using EtcdHygiene.Operator.Standalone;

namespace EtcdHygiene.Operator.Commands;

/// <summary>
/// <c>etcd-hygiene check</c>: observe once, print the members and the plan with reasons, change
/// nothing. Exit codes follow <c>terraform plan -detailed-exitcode</c>: 0 nothing to do, 2 action
/// pending, 1 error.
/// </summary>
internal static class CheckCommand
{
    public const int NothingToDo = 0;
    public const int Error = 1;
    public const int ActionPending = 2;

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
            if (policy.Compaction.Mode == CompactionMode.Periodic && snapshot.Revision is { } revision)
            {
                // Only for this plan: check never writes the state file.
                state = state.WithSample(snapshot.ObservedAt, revision, policy.Compaction.Retention);
            }
            var plan = HygienePlanner.Plan(policy, snapshot, state, new CycleProgress(), TimeProvider.System);
            await output.WriteLineAsync(CheckReport.Render(policy, snapshot, plan));
            if (!snapshot.Members.Any(m => m.Reachable) || !snapshot.AlarmsKnown)
            {
                exit = Error;
            }
            else if (plan.HasSteps && exit == NothingToDo)
            {
                exit = ActionPending;
            }
        }
        return exit;
    }
}
