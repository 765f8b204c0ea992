using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Skybridge.Application.Connectors;
using Skybridge.Application.Hosting;
using Skybridge.Application.Ledger;
using Skybridge.Storage;
using Spectre.Console;

namespace Skybridge.Cli.Commands;

/// <summary>
/// <c>skybridge secret set|list|remove</c>: credentials the connectors present to systems of record, sealed with the
/// secrets key before they reach the store. Values go in through standard input or a hidden prompt and are never printed.
/// Setting and removing are ledger events (the connector's name and who, never the value).
/// </summary>
internal static partial class SecretCommands
{
    public const string SecretsKeyEnvironmentVariable = "SKYBRIDGE_SECRETS_KEY";

    public static Command Create(CliIo io, TimeProvider time)
    {
        var secret = new Command("secret", "Credentials connectors use to call systems of record (kept encrypted; values are never shown).");
        secret.Subcommands.Add(Set(io, time));
        secret.Subcommands.Add(List(io));
        secret.Subcommands.Add(Remove(io, time));
        return secret;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex ConnectorName();

    internal static Option<string?> SecretsKeyOption() => new("--secrets-key")
    {
        Description = $"The secrets key file the server uses (default: DATA/keys/secrets.key; ${SecretsKeyEnvironmentVariable} (base64) wins).",
        HelpName = "FILE",
    };

    private static Command Set(CliIo io, TimeProvider time)
    {
        var connector = new Argument<string>("CONNECTOR") { Description = "The connector's name in the manifest (connectors[].name)." };
        var kind = new Option<string>("--kind")
        {
            Description = "bearer (Authorization: Bearer), basic (with --user) or api-key (in --header, default X-Api-Key).",
            HelpName = "KIND",
            DefaultValueFactory = _ => "bearer",
        };
        kind.AcceptOnlyFromAmong("bearer", "basic", "api-key");
        var user = new Option<string?>("--user") { Description = "The user name of a basic credential.", HelpName = "NAME" };
        var header = new Option<string?>("--header") { Description = "The header an api-key goes in.", HelpName = "NAME" };
        var fromStdin = new Option<bool>("--from-stdin") { Description = "Read the value from standard input (first line) instead of prompting." };
        var by = new Option<string?>("--by") { Description = "Who sets it, as recorded (default: your operating-system account).", HelpName = "NAME" };
        var secretsKey = SecretsKeyOption();
        var store = new StoreOptions();
        var command = new Command("set", "Store (or replace) the credential of a connector.") { connector, kind, user, header, fromStdin, by, secretsKey };
        store.AddTo(command);
        command.Validators.Add(result =>
        {
            var k = result.GetValue(kind);
            if (k == "basic" && string.IsNullOrWhiteSpace(result.GetValue(user)))
            {
                result.AddError("A basic credential needs --user NAME.");
            }

            if (k != "basic" && result.GetValue(user) is not null)
            {
                result.AddError("--user is for --kind basic only.");
            }

            if (k != "api-key" && result.GetValue(header) is not null)
            {
                result.AddError("--header is for --kind api-key only.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var name = parse.GetValue(connector)!;
            if (!ConnectorName().IsMatch(name))
            {
                io.Fail($"'{name}' is not a connector name.", "Use the name from the manifest's connectors list: letters, digits, '.', '_' or '-'.");
                return ExitCodes.InvalidInput;
            }

            var value = ReadValue(io, parse.GetValue(fromStdin));
            if (value is null)
            {
                return ExitCodes.InvalidInput;
            }

            var credential = new ConnectorCredential
            {
                Kind = ConnectorCredential.KindFromName(parse.GetValue(kind))!.Value,
                Value = value,
                UserName = parse.GetValue(user),
                Header = parse.GetValue(header),
            };
            return await store.WithStoreAsync(parse, io, ct, async opened =>
            {
                var (key, keySource) = await LoadKeyAsync(parse, secretsKey, store, ct).ConfigureAwait(false);
                await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
                await new ConnectorSecrets(opened, key, ledger).SetAsync(name, credential, parse.GetValue(by) ?? CliApp.Actor, time.GetUtcNow(), ct).ConfigureAwait(false);
                io.Output.WriteLine($"Stored the {credential.KindName} credential of connector '{name}', sealed with the secrets key ({keySource}).");
                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command List(CliIo io)
    {
        var store = new StoreOptions();
        var command = new Command("list", "List the connectors that have a credential: names, kinds and when they were set; never values.");
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var secrets = await opened.ListSecretsAsync(ct).ConfigureAwait(false);
            if (secrets.Count == 0)
            {
                io.Output.WriteLine("No connector credentials are stored; connectors authenticate with tokens Skybridge mints per call.");
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("Connector", "Kind", "Set by", "Set at (UTC)");
            foreach (var secret in secrets)
            {
                table.AddRow(Markup.Escape(secret.Name), Markup.Escape(secret.Kind), Markup.Escape(secret.SetBy),
                    secret.SetAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            }

            io.Console.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Remove(CliIo io, TimeProvider time)
    {
        var connector = new Argument<string>("CONNECTOR") { Description = "The connector whose credential to delete." };
        var by = new Option<string?>("--by") { Description = "Who removes it, as recorded (default: your operating-system account).", HelpName = "NAME" };
        var store = new StoreOptions();
        var command = new Command("remove", "Delete a connector's credential (its calls then use minted tokens).") { connector, by };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var name = parse.GetValue(connector)!;
            await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
            // Removing needs no secrets key: nothing is opened or sealed, only the row and its event are written.
            var secrets = new ConnectorSecrets(opened, () => throw new InvalidOperationException("Removing a secret opens nothing."), ledger);
            if (!await secrets.RemoveAsync(name, parse.GetValue(by) ?? CliApp.Actor, ct).ConfigureAwait(false))
            {
                io.Fail($"No credential is stored for connector '{name}'.", "See `skybridge secret list`.");
                return ExitCodes.InvalidInput;
            }

            io.Output.WriteLine($"Removed the credential of connector '{name}'.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The key the server uses: <c>$SKYBRIDGE_SECRETS_KEY</c>, else the key file (created when missing, as the server would).</summary>
    internal static async Task<(SecretsKey Key, string Source)> LoadKeyAsync(ParseResult parse, Option<string?> option, StoreOptions store, CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable(SecretsKeyEnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            return (SecretsKey.FromBase64(fromEnvironment, "$" + SecretsKeyEnvironmentVariable), "$" + SecretsKeyEnvironmentVariable);
        }

        var path = Path.GetFullPath(parse.GetValue(option) ?? Path.Combine(store.DataFolder(parse) ?? SkybridgeStores.DefaultDataFolder, "keys", "secrets.key"));
        return (await SecretsKey.LoadOrCreateAsync(path, ct).ConfigureAwait(false), path);
    }

    internal static string? ReadValue(CliIo io, bool fromStdin)
    {
        if (fromStdin || io.InputRedirected)
        {
            var line = io.Input.ReadLine();
            if (string.IsNullOrEmpty(line))
            {
                io.Fail("No secret on standard input.", "Pipe it in: printf '%s\\n' \"$TOKEN\" | skybridge secret set CONNECTOR --from-stdin");
                return null;
            }

            return line;
        }

        return io.Console.Prompt(new TextPrompt<string>("Secret:").Secret());
    }
}
