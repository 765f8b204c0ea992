using System.CommandLine;
using Skybridge.Core.Access;
using Skybridge.Application.Accounts;
using Skybridge.Application.Ledger;
using Skybridge.Storage;
using Spectre.Console;

namespace Skybridge.Cli.Commands;

/// <summary><c>skybridge user add|grant|revoke|list</c>: local accounts and their roles.</summary>
internal static class UserCommands
{
    public static Command Create(CliIo io, TimeProvider time)
    {
        var user = new Command("user", "Local accounts and their roles per workflow.");
        user.Subcommands.Add(Add(io, time));
        user.Subcommands.Add(Grant(io, time, grant: true));
        user.Subcommands.Add(Grant(io, time, grant: false));
        user.Subcommands.Add(List(io));
        return user;
    }

    private static Option<string?> RoleOption() => new("--role")
    {
        Description = $"A role to grant at once: {string.Join(", ", WorkflowRoles.All.Select(r => r.ToName()))}.",
        HelpName = "ROLE",
    };

    private static Option<string?> WorkflowOption() => new("--workflow")
    {
        Description = "The workflow the role is for (not needed for admin, which covers every workflow).",
        HelpName = "ID",
    };

    private static Command Add(CliIo io, TimeProvider time)
    {
        var name = new Argument<string>("NAME") { Description = "User name (letters, digits, '.', '-', '_', '@')." };
        var displayName = new Option<string?>("--display-name") { Description = "Name shown in the console and the history.", HelpName = "TEXT" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input (first line) instead of prompting." };
        var role = RoleOption();
        var workflow = WorkflowOption();
        var store = new StoreOptions();
        var command = new Command("add", "Create a local account, optionally granting a role.") { name, displayName, passwordStdin, role, workflow };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var userName = parse.GetValue(name)!;
            if (!AccountService.IsValidUserName(userName))
            {
                io.Fail($"'{userName}' is not a valid user name.", "Use 2-64 letters, digits, '.', '-', '_' or '@'.");
                return ExitCodes.InvalidInput;
            }

            // Check the role before anything is written, so a typo creates no half-set-up account.
            WorkflowRole? parsedRole = null;
            if (parse.GetValue(role) is { } roleName)
            {
                if (!TryParseGrant(io, roleName, parse.GetValue(workflow), out var r))
                {
                    return ExitCodes.InvalidInput;
                }

                parsedRole = r;
            }

            var password = ReadPassword(io, parse.GetValue(passwordStdin));
            if (password is null)
            {
                return ExitCodes.InvalidInput;
            }

            if (password.Length < AccountService.MinimumPasswordLength)
            {
                io.Fail($"The password is too short: at least {AccountService.MinimumPasswordLength} characters.");
                return ExitCodes.InvalidInput;
            }

            return await store.WithStoreAsync(parse, io, ct, async opened =>
            {
                if (parsedRole is { } granted && granted != WorkflowRole.Admin && await opened.GetWorkflowAsync(parse.GetValue(workflow)!, ct).ConfigureAwait(false) is null)
                {
                    io.Fail($"No workflow named '{parse.GetValue(workflow)}'.", "Publish its manifest first: skybridge manifest publish PATH.");
                    return ExitCodes.InvalidInput;
                }

                await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
                var accounts = new AccountService(opened, time, ledger);
                var outcome = await accounts.CreateUserAsync(CliApp.Actor, userName, parse.GetValue(displayName) ?? userName, password, ct).ConfigureAwait(false);
                if (outcome == CreateUserOutcome.AlreadyExists)
                {
                    io.Fail($"An account named '{userName}' already exists.", "Grant it a role with: skybridge user grant NAME ROLE --workflow ID.");
                    return ExitCodes.InvalidInput;
                }

                io.Output.WriteLine($"Created account {userName}.");
                if (parsedRole is { } grantedRole)
                {
                    var scope = AccessRules.GrantedOn(grantedRole, parse.GetValue(workflow));
                    await accounts.GrantRoleAsync(CliApp.Actor, userName, scope, grantedRole, ct).ConfigureAwait(false);
                    io.Output.WriteLine($"Granted {grantedRole.ToName()} on {Scope(scope)}.");
                }

                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Grant(CliIo io, TimeProvider time, bool grant)
    {
        var name = new Argument<string>("NAME") { Description = "User name." };
        var role = new Argument<string>("ROLE") { Description = string.Join(", ", WorkflowRoles.All.Select(r => r.ToName())) };
        var workflow = WorkflowOption();
        var store = new StoreOptions();
        var command = new Command(grant ? "grant" : "revoke", grant ? "Grant a role on a workflow." : "Revoke a role on a workflow.") { name, role, workflow };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (!TryParseGrant(io, parse.GetValue(role)!, parse.GetValue(workflow), out var parsed))
            {
                return ExitCodes.InvalidInput;
            }

            return await store.WithStoreAsync(parse, io, ct, async opened =>
            {
                var userName = parse.GetValue(name)!;
                if (await opened.GetUserAsync(userName, ct).ConfigureAwait(false) is null)
                {
                    io.Fail($"No account named '{userName}'.", "Create it with: skybridge user add NAME.");
                    return ExitCodes.InvalidInput;
                }

                var scope = AccessRules.GrantedOn(parsed, parse.GetValue(workflow));
                if (scope != RoleGrant.AllWorkflows && await opened.GetWorkflowAsync(scope, ct).ConfigureAwait(false) is null)
                {
                    io.Fail($"No workflow named '{scope}'.", "skybridge manifest list shows the workflows there are.");
                    return ExitCodes.InvalidInput;
                }

                await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
                var accounts = new AccountService(opened, time, ledger);
                var changed = grant
                    ? await accounts.GrantRoleAsync(CliApp.Actor, userName, scope, parsed, ct).ConfigureAwait(false)
                    : await accounts.RevokeRoleAsync(CliApp.Actor, userName, scope, parsed, ct).ConfigureAwait(false);
                io.Output.WriteLine((grant, changed) switch
                {
                    (true, true) => $"Granted {parsed.ToName()} on {Scope(scope)} to {userName}.",
                    (true, false) => $"{userName} already holds {parsed.ToName()} on {Scope(scope)}; nothing changed.",
                    (false, true) => $"Revoked {parsed.ToName()} on {Scope(scope)} from {userName}.",
                    _ => $"{userName} did not hold {parsed.ToName()} on {Scope(scope)}; nothing changed.",
                });
                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command List(CliIo io)
    {
        var store = new StoreOptions();
        var command = new Command("list", "List accounts with their roles.");
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var table = new Table().AddColumns("User", "Display name", "Roles", "Last sign-in (UTC)", "Locked");
            var now = DateTimeOffset.UtcNow;
            foreach (var user in await opened.ListUsersAsync(ct).ConfigureAwait(false))
            {
                var grants = await opened.ListRoleGrantsForUserAsync(user.UserName, ct).ConfigureAwait(false);
                table.AddRow(
                    Markup.Escape(user.UserName),
                    Markup.Escape(user.DisplayName),
                    Markup.Escape(string.Join(", ", grants.Select(g => $"{g.Role}@{Scope(g.WorkflowId)}"))),
                    user.LastSignInAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) ?? "never",
                    user.LockedUntil > now ? "[red]locked[/]" : "");
            }

            io.Console.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Scope(string workflowId) => workflowId == RoleGrant.AllWorkflows ? "all workflows" : workflowId;

    private static bool TryParseGrant(CliIo io, string roleName, string? workflow, out WorkflowRole role)
    {
        if (!WorkflowRoles.TryParse(roleName, out role))
        {
            io.Fail($"Unknown role '{roleName}'.", $"Roles: {string.Join(", ", WorkflowRoles.All.Select(r => r.ToName()))}.");
            return false;
        }

        if (role != WorkflowRole.Admin && string.IsNullOrWhiteSpace(workflow))
        {
            io.Fail($"The {role.ToName()} role is granted per workflow.", "Add --workflow ID (for example --workflow support-desk).");
            return false;
        }

        return true;
    }

    private static string? ReadPassword(CliIo io, bool fromStdin)
    {
        if (fromStdin || io.InputRedirected)
        {
            var line = io.Input.ReadLine();
            if (string.IsNullOrEmpty(line))
            {
                io.Fail("No password on standard input.", "Pipe it in: printf '%s\\n' \"$PASSWORD\" | skybridge user add NAME --password-stdin");
                return null;
            }

            return line;
        }

        var first = io.Console.Prompt(new TextPrompt<string>("Password:").Secret());
        var second = io.Console.Prompt(new TextPrompt<string>("Repeat password:").Secret());
        if (first != second)
        {
            io.Fail("The two passwords differ; nothing was created.");
            return null;
        }

        return first;
    }
}
