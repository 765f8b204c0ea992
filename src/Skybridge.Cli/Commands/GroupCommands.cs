using System.CommandLine;
using System.Globalization;
using Skybridge.Application.Accounts;
using Skybridge.Application.Ledger;
using Spectre.Console;

namespace Skybridge.Cli.Commands;

/// <summary>
/// <c>skybridge group add|remove|list</c>: the groups manifests name in their authorities (<c>group:NAME</c>). A change
/// counts from the next decision on (approve, halt): decisions read the store, not a session.
/// </summary>
internal static class GroupCommands
{
    public static Command Create(CliIo io, TimeProvider time)
    {
        var group = new Command("group", "Group memberships: the groups manifests name as group:NAME (approve, halt, review...).");
        group.Subcommands.Add(Change(io, time, add: true));
        group.Subcommands.Add(Change(io, time, add: false));
        group.Subcommands.Add(List(io));
        return group;
    }

    private static Command Change(CliIo io, TimeProvider time, bool add)
    {
        var groupName = new Argument<string>("GROUP") { Description = "The group as manifests name it (group:NAME without the prefix)." };
        var userName = new Argument<string>("USER") { Description = "The account's name." };
        var by = new Option<string?>("--by") { Description = "Who makes the change, as recorded (default: your operating-system account).", HelpName = "NAME" };
        var store = new StoreOptions();
        var command = new Command(add ? "add" : "remove", add ? "Add a person to a group." : "Remove a person from a group.") { groupName, userName, by };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var group = parse.GetValue(groupName)!;
            var user = parse.GetValue(userName)!;
            if (!GroupService.IsValidGroupName(group))
            {
                io.Fail($"'{group}' is not a group name.", $"Use up to {GroupService.MaxGroupNameLength} letters, digits, '.', '-', '_' or '@', as the manifest writes it after group:.");
                return ExitCodes.InvalidInput;
            }

            return await store.WithStoreAsync(parse, io, ct, async opened =>
            {
                await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
                var groups = new GroupService(opened, ledger, time);
                var actor = parse.GetValue(by) ?? CliApp.Actor;
                if (add)
                {
                    switch (await groups.AddAsync(actor, group, user, ct).ConfigureAwait(false))
                    {
                        case GroupAddOutcome.UnknownUser:
                            io.Fail($"No account named '{user}'.", "Create it with: skybridge user add NAME.");
                            return ExitCodes.InvalidInput;
                        case GroupAddOutcome.AlreadyMember:
                            io.Output.WriteLine($"{user} is already in {group}; nothing changed.");
                            return ExitCodes.Ok;
                        default:
                            io.Output.WriteLine($"Added {user} to {group}.");
                            return ExitCodes.Ok;
                    }
                }

                if (await groups.RemoveAsync(actor, group, user, ct).ConfigureAwait(false) == GroupRemoveOutcome.NotMember)
                {
                    io.Output.WriteLine($"{user} is not in {group}; nothing changed.");
                    return ExitCodes.Ok;
                }

                io.Output.WriteLine($"Removed {user} from {group}.");
                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command List(CliIo io)
    {
        var groupName = new Argument<string?>("GROUP") { Description = "Only this group.", Arity = ArgumentArity.ZeroOrOne };
        var store = new StoreOptions();
        var command = new Command("list", "List group memberships: who, since when, added by whom or by single sign-on.") { groupName };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var memberships = await opened.ListGroupMembershipsAsync(parse.GetValue(groupName), ct).ConfigureAwait(false);
            if (memberships.Count == 0)
            {
                io.Output.WriteLine(parse.GetValue(groupName) is { } g ? $"Nobody is in {g}." : "Nobody is in any group.");
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("Group", "User", "Source", "Added by", "Added at (UTC)");
            foreach (var m in memberships)
            {
                table.AddRow(Markup.Escape(m.GroupName), Markup.Escape(m.UserName), Markup.Escape(m.Source), Markup.Escape(m.AddedBy),
                    m.AddedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            }

            io.Console.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
