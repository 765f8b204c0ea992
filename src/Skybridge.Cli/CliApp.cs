using System.CommandLine;
using Skybridge.Cli.Commands;

namespace Skybridge.Cli;

/// <summary>The <c>skybridge</c> command line.</summary>
internal static class CliApp
{
    /// <summary>The node id the CLI records its events under.</summary>
    public static string NodeId => $"cli@{Environment.MachineName}";

    /// <summary>Who the CLI acts as in the ledger when no --by is given: the operating-system account.</summary>
    public static string Actor => $"{Environment.UserName}@cli";

    public static RootCommand Build(CliIo io, TimeProvider time)
    {
        var root = new RootCommand("Skybridge: run an AI workflow on production rails — identity, policy, approvals, ledger, evaluation.");
        root.Options.Add(CliEmbeddings.Model);
        root.Subcommands.Add(ServerCommands.Up(io, time));
        root.Subcommands.Add(ServerCommands.Serve(io));
        root.Subcommands.Add(ManifestCommands.Create(io, time));
        root.Subcommands.Add(UserCommands.Create(io, time));
        root.Subcommands.Add(GroupCommands.Create(io, time));
        root.Subcommands.Add(LedgerCommands.Create(io, time));
        root.Subcommands.Add(AgentCommands.Create(io, time));
        root.Subcommands.Add(AskCommands.Create(io));
        root.Subcommands.Add(SourceCommands.Create(io, time));
        root.Subcommands.Add(PolicyCommands.Create(io));
        root.Subcommands.Add(ApprovalCommands.Create(io));
        root.Subcommands.Add(ReviewCommands.Create(io));
        root.Subcommands.Add(SecretCommands.Create(io, time));
        root.Subcommands.Add(WebhookCommands.Create(io, time));
        root.Subcommands.Add(EvalCommands.Create(io, time));
        foreach (var command in SessionCommands.Create(io))
        {
            root.Subcommands.Add(command);
        }

        foreach (var command in AgentCommands.KillSwitch(io, time))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    /// <summary>Parses and runs. Usage errors exit with 2 and name every problem at once.</summary>
    public static async Task<int> RunAsync(string[] args, CliIo io, CancellationToken cancellationToken = default)
    {
        var root = Build(io, TimeProvider.System);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                io.Fail(error.Message);
            }

            io.Error.WriteLine($"Run '{string.Join(' ', ["skybridge", .. CommandPath(parse.CommandResult.Command, root)])} --help' for usage.");
            return ExitCodes.InvalidInput;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = io.Output, Error = io.Error }, cancellationToken).ConfigureAwait(false);
    }

    private static IEnumerable<string> CommandPath(Command command, RootCommand root)
    {
        var path = new List<string>();
        for (var c = command; c is not null && c != root; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            path.Insert(0, c.Name);
        }

        return path;
    }
}
