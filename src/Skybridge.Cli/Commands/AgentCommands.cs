using System.CommandLine;
using System.Text;
using Skybridge.Application.Governance;
using Skybridge.Server.Authentication;
using Skybridge.Server.Endpoints;
using Skybridge.Application.Tokens;
using Skybridge.Application.Agents;
using Skybridge.Application.Ledger;
using Spectre.Console;

namespace Skybridge.Cli.Commands;

/// <summary><c>skybridge agent register|list|disable|enable|rotate-key</c>, and the kill switch: <c>skybridge halt|resume</c>.</summary>
internal static class AgentCommands
{
    public static Command Create(CliIo io, TimeProvider time)
    {
        var agent = new Command("agent", "Agent identities: each agent has its own key pair (made here) and a role in one workflow.");
        agent.Subcommands.Add(Register(io, time));
        agent.Subcommands.Add(List(io));
        agent.Subcommands.Add(SetEnabled(io, time, enabled: false));
        agent.Subcommands.Add(SetEnabled(io, time, enabled: true));
        agent.Subcommands.Add(RotateKey(io, time));
        return agent;
    }

    private static Option<string?> ByOption() => new("--by") { Description = "Who is making this change, as recorded in the ledger (default: your OS user name).", HelpName = "NAME" };

    private static Option<string> ServerOption() => new("--server")
    {
        Description = "The server's public URL, written into the credentials file (default: http://127.0.0.1:5080).",
        HelpName = "URL",
        DefaultValueFactory = _ => "http://127.0.0.1:5080",
    };

    private static Option<string?> OutOption() => new("--out") { Description = "Where to write the agent's credentials file (default: ./NAME.agent.json). Never overwritten.", HelpName = "FILE" };

    private static string Actor(string? by) => by ?? $"{Environment.UserName}@cli";

    private static Command Register(CliIo io, TimeProvider time)
    {
        var workflow = new Argument<string>("WORKFLOW") { Description = "Workflow id, e.g. support-desk." };
        var name = new Argument<string>("NAME") { Description = "The agent's name in the workflow, e.g. responder-1." };
        var role = new Option<string>("--role") { Description = "The agent role from the workflow's active manifest.", Required = true, HelpName = "ROLE" };
        var server = ServerOption();
        var output = OutOption();
        var by = ByOption();
        var store = new StoreOptions();
        var command = new Command("register", "Make a key pair here, register its public half as a new agent, and write the agent's credentials file (mode 0600).") { workflow, name, role, server, output, by };
        store.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            var path = Path.GetFullPath(parse.GetValue(output) ?? parse.GetValue(name) + ".agent.json");
            if (File.Exists(path))
            {
                io.Fail($"{path} already exists; it is never overwritten (it may hold another agent's private key).", "Pass --out with a new file name.");
                return Task.FromResult(ExitCodes.InvalidInput);
            }

            if (CliFiles.CannotCreateFile(path) is { } unwritable)
            {
                io.Fail($"The credentials cannot be written to {path}: {unwritable}. Nothing was registered.", "Pass --out with a file in a folder you can write in.");
                return Task.FromResult(ExitCodes.InvalidInput);
            }

            var issuer = parse.GetValue(server)!.TrimEnd('/');
            if (!Uri.TryCreate(issuer, UriKind.Absolute, out _))
            {
                io.Fail($"--server '{issuer}' is not an absolute URL.", "For example --server https://skybridge.example.com");
                return Task.FromResult(ExitCodes.InvalidInput);
            }

            return store.WithStoreAsync(parse, io, ct, async opened =>
            {
                // The private key is on disk before the public half is registered: a registered key is never lost.
                var pair = AgentKeyPair.Generate();
                var clientId = AgentService.ClientId(parse.GetValue(workflow)!, parse.GetValue(name)!);
                await WriteSecretFileAsync(path, pair.CredentialsJson(issuer, clientId, parse.GetValue(workflow)!, parse.GetValue(role)!, ""), ct).ConfigureAwait(false);
                await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
                var result = await new AgentService(opened, opened, time, ledger).RegisterAsync(Actor(parse.GetValue(by)), parse.GetValue(workflow)!, parse.GetValue(name)!, parse.GetValue(role)!, pair.PublicJwk, ct).ConfigureAwait(false);
                if (result.Outcome != AgentOutcome.Done)
                {
                    File.Delete(path);
                    io.Fail(result.Problem!);
                    return result.Outcome is AgentOutcome.NameTaken ? ExitCodes.Failed : ExitCodes.InvalidInput;
                }

                var agent = result.Agent!;
                await File.WriteAllTextAsync(path, pair.CredentialsJson(issuer, agent.ClientId, agent.WorkflowId, agent.Role, string.Join(' ', result.RoleScopes)), ct).ConfigureAwait(false);
                io.Output.WriteLine($"Registered agent {agent.ClientId} (role {agent.Role}, key {pair.KeyId}).");
                io.Output.WriteLine($"Credentials (private key inside, keep it with the agent): {path}");
                io.Output.WriteLine($"  client_id:      {agent.ClientId}");
                io.Output.WriteLine($"  token endpoint: {issuer}/oauth/token (private_key_jwt + DPoP)");
                io.Output.WriteLine($"  scopes:         {string.Join(' ', result.RoleScopes)}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    /// <summary>Writes a new file readable by its owner only (0600); an existing file is never overwritten.</summary>
    internal static async Task WriteSecretFileAsync(string path, string content, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var stream = new FileStream(path, options);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(content), cancellationToken).ConfigureAwait(false);
    }

    private static Command List(CliIo io)
    {
        var workflow = new Argument<string?>("WORKFLOW") { Description = "Only this workflow's agents.", Arity = ArgumentArity.ZeroOrOne };
        var store = new StoreOptions();
        var command = new Command("list", "List agents with their role, status and key ids.") { workflow };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var table = new Table().AddColumn(new TableColumn("Client id").NoWrap()).AddColumns("Role", "Status", "Key id", "Registered");
            foreach (var a in await opened.ListAgentsAsync(parse.GetValue(workflow), ct).ConfigureAwait(false))
            {
                table.AddRow(Markup.Escape(a.ClientId), Markup.Escape(a.Role), a.Status == "active" ? "active" : "[red]disabled[/]",
                    Markup.Escape(string.Join(", ", a.Keys.Select(k => k.KeyId[..Math.Min(12, k.KeyId.Length)] + "…"))),
                    a.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            }

            io.Console.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command SetEnabled(CliIo io, TimeProvider time, bool enabled)
    {
        var clientId = new Argument<string>("CLIENT_ID") { Description = "WORKFLOW/NAME, e.g. support-desk/responder-1." };
        var by = ByOption();
        var store = new StoreOptions();
        var command = new Command(enabled ? "enable" : "disable",
            enabled ? "Let a disabled agent get tokens again." : "Stop an agent: no new tokens, and its tokens stop working on every node within a second.") { clientId, by };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
            var result = await new AgentService(opened, opened, time, ledger).SetEnabledAsync(Actor(parse.GetValue(by)), parse.GetValue(clientId)!, enabled, ct).ConfigureAwait(false);
            return Report(io, result, $"{parse.GetValue(clientId)} is now {(enabled ? "active" : "disabled")}.");
        }));
        return command;
    }

    private static Command RotateKey(CliIo io, TimeProvider time)
    {
        var clientId = new Argument<string>("CLIENT_ID") { Description = "WORKFLOW/NAME, e.g. support-desk/responder-1." };
        var server = ServerOption();
        var output = OutOption();
        var by = ByOption();
        var store = new StoreOptions();
        var command = new Command("rotate-key", "Make a new key pair here and replace the agent's key; the old key stops authenticating at once.") { clientId, server, output, by };
        store.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            var id = parse.GetValue(clientId)!;
            var path = Path.GetFullPath(parse.GetValue(output) ?? id[(id.IndexOf('/', StringComparison.Ordinal) + 1)..] + ".agent.json");
            if (File.Exists(path))
            {
                io.Fail($"{path} already exists; it is never overwritten.", "Pass --out with a new file name, and delete the old file once the agent uses the new one.");
                return Task.FromResult(ExitCodes.InvalidInput);
            }

            if (CliFiles.CannotCreateFile(path) is { } unwritable)
            {
                io.Fail($"The new credentials cannot be written to {path}: {unwritable}. The key was not changed.", "Pass --out with a file in a folder you can write in.");
                return Task.FromResult(ExitCodes.InvalidInput);
            }

            return store.WithStoreAsync(parse, io, ct, async opened =>
            {
                var existing = await opened.GetAgentAsync(id, ct).ConfigureAwait(false);
                if (existing is null)
                {
                    io.Fail($"No agent {id}.", "List them with: skybridge agent list");
                    return ExitCodes.InvalidInput;
                }

                // As at registration: the new private key is on disk before the server switches to it.
                var pair = AgentKeyPair.Generate();
                var issuer = parse.GetValue(server)!.TrimEnd('/');
                await WriteSecretFileAsync(path, pair.CredentialsJson(issuer, id, existing.WorkflowId, existing.Role, ""), ct).ConfigureAwait(false);
                await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
                var result = await new AgentService(opened, opened, time, ledger).RotateKeyAsync(Actor(parse.GetValue(by)), id, pair.PublicJwk, ct).ConfigureAwait(false);
                if (result.Outcome != AgentOutcome.Done)
                {
                    File.Delete(path);
                    return Report(io, result, "");
                }

                var agent = result.Agent!;
                await File.WriteAllTextAsync(path, pair.CredentialsJson(parse.GetValue(server)!.TrimEnd('/'), agent.ClientId, agent.WorkflowId, agent.Role, string.Join(' ', result.RoleScopes)), ct).ConfigureAwait(false);
                io.Output.WriteLine($"New key {pair.KeyId} for {agent.ClientId}; credentials written to {path}. The old key no longer authenticates.");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static int Report(CliIo io, AgentResult result, string done)
    {
        switch (result.Outcome)
        {
            case AgentOutcome.Done:
                io.Output.WriteLine(done);
                return ExitCodes.Ok;
            case AgentOutcome.Unchanged:
                io.Output.WriteLine(result.Problem);
                return ExitCodes.Ok;
            default:
                io.Fail(result.Problem!);
                return ExitCodes.InvalidInput;
        }
    }

    /// <summary><c>skybridge halt WORKFLOW --reason TEXT</c> and <c>skybridge resume</c>.</summary>
    public static IEnumerable<Command> KillSwitch(CliIo io, TimeProvider time)
    {
        foreach (var halt in new[] { true, false })
        {
            var workflow = new Argument<string>("WORKFLOW") { Description = "Workflow id, e.g. support-desk." };
            var reason = new Option<string>("--reason") { Description = "Why, as recorded in the ledger.", Required = true, HelpName = "TEXT" };
            var by = ByOption();
            var store = new StoreOptions();
            var command = new Command(halt ? "halt" : "resume", halt
                ? "The kill switch: halt a workflow now. No tokens are issued for it, its agents' tokens stop working and its queued actions are held, on every node within a second. The operator's break-glass: it works on the store and does not check the manifest's halt authority; --by names who decided."
                : "Resume a halted workflow: its held actions are decided again against the current policy. Like halt, it does not check the halt authority.") { workflow, reason, by };
            store.AddTo(command);
            command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
            {
                await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
                var id = parse.GetValue(workflow)!;
                if (await opened.GetWorkflowAsync(id, ct).ConfigureAwait(false) is null)
                {
                    io.Fail($"No workflow '{id}'.", "List them with: skybridge manifest list");
                    return ExitCodes.InvalidInput;
                }

                var killSwitch = new KillSwitch(opened, time, ledger, null, opened);
                var changed = halt
                    ? await killSwitch.HaltAsync(Actor(parse.GetValue(by)), id, parse.GetValue(reason)!, ct).ConfigureAwait(false)
                    : await killSwitch.ResumeAsync(Actor(parse.GetValue(by)), id, parse.GetValue(reason)!, ct).ConfigureAwait(false);
                io.Output.WriteLine(changed ? $"{id} is {(halt ? "halted" : "running again")}." : $"{id} was already {(halt ? "halted" : "running")}; nothing changed.");
                return ExitCodes.Ok;
            }));
            yield return command;
        }
    }
}
