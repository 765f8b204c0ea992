using System.CommandLine;
using System.Globalization;
using Skybridge.Application.Manifests;
using Skybridge.Application.Notifications;
using Spectre.Console;

namespace Skybridge.Cli.Commands;

/// <summary>
/// <c>skybridge webhook secret|list</c>: the signing secrets of the webhooks manifests declare, and where each
/// webhook's delivery stands (what is next, what failed and why, what was given up).
/// </summary>
internal static class WebhookCommands
{
    public static Command Create(CliIo io, TimeProvider time)
    {
        var webhook = new Command("webhook", "Webhooks: signing secrets, and where each webhook's deliveries stand.");
        webhook.Subcommands.Add(Secret(io, time));
        webhook.Subcommands.Add(List(io));
        return webhook;
    }

    private static Command Secret(CliIo io, TimeProvider time)
    {
        var workflow = new Argument<string>("WORKFLOW") { Description = "The workflow whose manifest declares the webhook." };
        var name = new Argument<string>("WEBHOOK") { Description = "The webhook's name in the manifest (webhooks[].name)." };
        var fromStdin = new Option<bool>("--from-stdin") { Description = "Read the secret (whsec_...) from standard input instead of making a new one." };
        var by = new Option<string?>("--by") { Description = "Who sets it, as recorded (default: your operating-system account).", HelpName = "NAME" };
        var output = new Option<string?>("--out") { Description = "Where a new secret is written for the receiver's operator (default: ./WEBHOOK.webhook-secret, mode 0600). Never overwritten.", HelpName = "FILE" };
        var secretsKey = SecretCommands.SecretsKeyOption();
        var store = new StoreOptions();
        var command = new Command("secret", "Make (or replace) a webhook's signing secret; a new one is written to a file (0600) for the receiver, never printed.") { workflow, name, fromStdin, by, output, secretsKey };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var workflowId = parse.GetValue(workflow)!;
            var webhookName = parse.GetValue(name)!;
            string secret;
            var generated = !parse.GetValue(fromStdin);
            var path = Path.GetFullPath(parse.GetValue(output) ?? webhookName + ".webhook-secret");
            if (generated && File.Exists(path))
            {
                io.Fail($"{path} already exists; it is never overwritten (it may hold a secret a receiver uses).", "Pass --out with a new file name.");
                return ExitCodes.InvalidInput;
            }

            if (generated && CliFiles.CannotCreateFile(path) is { } unwritable)
            {
                io.Fail($"The secret cannot be written to {path}: {unwritable}. Nothing was changed.", "Pass --out with a file in a folder you can write in.");
                return ExitCodes.InvalidInput;
            }

            if (generated)
            {
                secret = WebhookSecrets.Generate();
            }
            else if (SecretCommands.ReadValue(io, fromStdin: true) is { } given)
            {
                if (!WebhookSecrets.IsWellFormed(given))
                {
                    io.Fail("That is not a webhook signing secret.", $"A signing secret is '{WebhookSecrets.Prefix}' followed by 24 to 64 base64 bytes; leave out --from-stdin to have one made.");
                    return ExitCodes.InvalidInput;
                }

                secret = given;
            }
            else
            {
                return ExitCodes.InvalidInput;
            }

            return await store.WithStoreAsync(parse, io, ct, async opened =>
            {
                var active = await new StoredActiveManifests(opened).GetAsync(workflowId, ct).ConfigureAwait(false);
                if (active is null)
                {
                    io.Fail($"Workflow '{workflowId}' has no active version.", "See `skybridge manifest list`.");
                    return ExitCodes.InvalidInput;
                }

                if (!active.Manifest.Webhooks.Any(w => w.Name == webhookName))
                {
                    var declared = active.Manifest.Webhooks.Select(w => w.Name).ToList();
                    io.Fail($"The active manifest of {workflowId} declares no webhook '{webhookName}'.",
                        declared.Count == 0 ? "Declare it under webhooks: in the manifest and activate that version first." : "Declared: " + string.Join(", ", declared) + ".");
                    return ExitCodes.InvalidInput;
                }

                var (key, keySource) = await SecretCommands.LoadKeyAsync(parse, secretsKey, store, ct).ConfigureAwait(false);
                if (generated)
                {
                    // Written before it is stored: a secret in force is always one its receiver can be given.
                    await AgentCommands.WriteSecretFileAsync(path, secret + "\n", ct).ConfigureAwait(false);
                }

                await using var ledger = new Skybridge.Application.Ledger.LedgerWriter(opened, time, CliApp.NodeId);
                await new WebhookSecrets(opened, () => key, ledger).SetAsync(workflowId, webhookName, secret, parse.GetValue(by) ?? CliApp.Actor, time.GetUtcNow(), ct).ConfigureAwait(false);
                io.Output.WriteLine($"Stored the signing secret of webhook '{webhookName}' of {workflowId}, sealed with the secrets key ({keySource}).");
                if (generated)
                {
                    // Never printed: terminals and CI logs keep what they show.
                    io.Output.WriteLine($"Wrote the new secret to {path} (mode 0600): give it to the receiver's operator, then delete the file.");
                }

                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command List(CliIo io)
    {
        var workflow = new Argument<string?>("WORKFLOW") { Description = "Only this workflow's webhooks.", Arity = ArgumentArity.ZeroOrOne };
        var store = new StoreOptions();
        var command = new Command("list", "Where each webhook's deliveries stand: events waiting, delivered, given up, the last error.") { workflow };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var cursors = await opened.ListWebhookCursorsAsync(parse.GetValue(workflow), ct).ConfigureAwait(false);
            if (cursors.Count == 0)
            {
                io.Output.WriteLine("No webhook has delivered anything yet (a node starts delivering within a second of activating a manifest that declares one).");
                return ExitCodes.Ok;
            }

            var head = (await opened.GetLedgerHeadAsync(ct).ConfigureAwait(false)).Size;
            var table = new Table().AddColumns("Workflow", "Webhook", "Next event", "Behind", "Delivered", "Given up", "Failed attempts", "Next attempt (UTC)", "Last error");
            foreach (var c in cursors)
            {
                table.AddRow(Markup.Escape(c.WorkflowId), Markup.Escape(c.Webhook), c.NextSequence.ToString(CultureInfo.InvariantCulture),
                    Math.Max(0, head - c.NextSequence).ToString(CultureInfo.InvariantCulture) + " ledger events",
                    c.Delivered.ToString(CultureInfo.InvariantCulture), c.Abandoned.ToString(CultureInfo.InvariantCulture),
                    c.Attempts.ToString(CultureInfo.InvariantCulture),
                    c.NextAttemptAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-",
                    Markup.Escape(c.LastError ?? "-"));
            }

            io.Console.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
