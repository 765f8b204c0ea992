using System.CommandLine;
using System.Text.Json;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Verification;
using Skybridge.Application.Ledger;
using Skybridge.Storage;
using Spectre.Console;

namespace Skybridge.Cli.Commands;

/// <summary><c>skybridge ledger verify|export|replay|checkpoint|proof|keys|rotate-key</c>.</summary>
internal static class LedgerCommands
{
    public static Command Create(CliIo io, TimeProvider time)
    {
        var ledger = new Command("ledger", "The tamper-evident ledger: verify it, export it, replay a case, prove inclusion.");
        ledger.Subcommands.Add(Verify(io, time));
        ledger.Subcommands.Add(Export(io, time));
        ledger.Subcommands.Add(Replay(io, time));
        ledger.Subcommands.Add(Checkpoint(io, time));
        ledger.Subcommands.Add(Proof(io, time));
        ledger.Subcommands.Add(Keys(io, time));
        return ledger;
    }

    private static Option<string[]> PublicKeysOption() => new("--public-key")
    {
        Description = "A trusted ledger public key (C2SP verifier key, as printed by `skybridge ledger keys`). Repeat for rotated keys.",
        HelpName = "VKEY",
        AllowMultipleArgumentsPerToken = false,
    };

    private static bool TryParseKeys(CliIo io, string[]? texts, out List<LedgerVerifierKey> keys)
    {
        keys = [];
        foreach (var text in texts ?? [])
        {
            if (!LedgerVerifierKey.TryParse(text, out var key) || key is null)
            {
                io.Fail($"'{text}' is not a ledger public key.", "Use the form printed by `skybridge ledger keys` (name+keyid+base64).");
                return false;
            }

            keys.Add(key);
        }

        return true;
    }

    private static Command Verify(CliIo io, TimeProvider time)
    {
        var bundle = new Option<string?>("--bundle") { Description = "Verify an exported bundle offline (no server, no database).", HelpName = "FILE" };
        var keys = PublicKeysOption();
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var store = new StoreOptions();
        var command = new Command("verify", "Re-hash every event and check every signed checkpoint; name the first bad index. Exit 0 only when verified.") { bundle, keys, json };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (!TryParseKeys(io, parse.GetValue(keys), out var trusted))
            {
                return ExitCodes.InvalidInput;
            }

            LedgerAuditResult result;
            if (parse.GetValue(bundle) is { } file)
            {
                if (!File.Exists(file))
                {
                    io.Fail($"No bundle at {file}.");
                    return ExitCodes.InvalidInput;
                }

                await using var stream = File.OpenRead(file);
                result = LedgerBundle.Verify(stream, trusted);
            }
            else
            {
                await using var opened = await store.OpenAsync(parse, io, ct).ConfigureAwait(false);
                if (opened is null)
                {
                    return ExitCodes.Failed;
                }

                result = await new LedgerService(opened, time, null).AuditAsync(trusted, null, ct).ConfigureAwait(false);
            }

            if (parse.GetValue(json))
            {
                io.Output.WriteLine(JsonSerializer.Serialize(new
                {
                    verified = result.Verified,
                    events = result.Events,
                    checkpoints = result.Checkpoints,
                    root = Convert.ToHexStringLower(result.Root),
                    problem = result.Problem is { } p ? new { kind = p.Kind.ToString().ToLowerInvariant(), index = p.Index, detail = p.Detail } : null,
                }));
            }
            else if (result.Verified)
            {
                io.Output.WriteLine($"verified: {result.Events} events, {result.Checkpoints} signed checkpoint{(result.Checkpoints == 1 ? "" : "s")}, root {Convert.ToHexStringLower(result.Root)}");
            }
            else
            {
                var p = result.Problem!;
                io.Output.WriteLine($"NOT VERIFIED: {p.Kind.ToString().ToLowerInvariant()}{(p.Index is { } i ? $" at index {i}" : "")}: {p.Detail}");
            }

            return result.Verified ? ExitCodes.Ok : ExitCodes.InvalidInput;
        });
        return command;
    }

    private static Command Export(CliIo io, TimeProvider time)
    {
        var output = new Option<string>("--out") { Description = "The bundle file to write.", HelpName = "FILE", Required = true };
        var ledgerKey = ServerCommands.LedgerKeyOption();
        var store = new StoreOptions();
        var command = new Command(
            "export",
            "Write a bundle (events, checkpoints, proofs, public keys) that `ledger verify --bundle` checks offline. Signs a checkpoint of the newest event first when the ledger key is at hand.")
        { output, ledgerKey };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var head = await opened.GetLedgerHeadAsync(ct).ConfigureAwait(false);
            if (head.Size == 0)
            {
                io.Fail("The ledger is empty: there is nothing to export.");
                return ExitCodes.InvalidInput;
            }

            // Before a checkpoint is signed or an event read: a bundle path that cannot be written is said at once.
            if (CliFiles.CannotCreateFile(parse.GetValue(output)!) is { } unwritable)
            {
                io.Fail($"The bundle cannot be written to {Path.GetFullPath(parse.GetValue(output)!)}: {unwritable}.", "Name a file in a folder you can write in.");
                return ExitCodes.InvalidInput;
            }

            var service = new LedgerService(opened, time, null);
            var keyPath = ServerCommands.LedgerKeyPath(parse, ledgerKey, store);
            // A bundle is checked against its signed checkpoints only: without one it proves nothing. With the key
            // at hand (or on a ledger that never had one, as `ledger checkpoint` does) the newest event is signed
            // first, so the bundle proves all of it. The key is never created beside a ledger signed elsewhere.
            if (File.Exists(keyPath) || (await opened.ListLedgerKeysAsync(ct).ConfigureAwait(false)).Count == 0)
            {
                service.UseSigner(await LedgerKeys.LoadOrCreateAsync(keyPath, head.Origin, opened, time, ct).ConfigureAwait(false));
                await service.CheckpointAsync(ct).ConfigureAwait(false);
            }

            var latest = await service.LatestCheckpointAsync(ct).ConfigureAwait(false);
            if (latest is null)
            {
                io.Fail(
                    $"The ledger has no signed checkpoint yet, and its signing key is not at {keyPath}: the bundle would have nothing signed to verify against. No file was written.",
                    "Pass --ledger-key with the ledger's key file, or run `skybridge ledger checkpoint --ledger-key FILE` where the key is (a running server signs one within 10 seconds).");
                return ExitCodes.Failed;
            }

            var target = Path.GetFullPath(parse.GetValue(output)!);
            var temporary = target + ".partial";
            long count;
            // Written beside the target and renamed at the end: a failed export leaves no half bundle behind.
            await using (var stream = File.Create(temporary))
            {
                count = await service.ExportAsync(stream, ct).ConfigureAwait(false);
            }

            File.Move(temporary, target, overwrite: true);
            io.Output.WriteLine($"Exported {count} events to {target}; the newest signed checkpoint covers {latest.Size}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Replay(CliIo io, TimeProvider time)
    {
        var caseId = new Argument<string>("CASE_ID") { Description = "The case (transaction) to replay." };
        var json = new Option<bool>("--json") { Description = "Print the timeline as JSON." };
        var store = new StoreOptions();
        var command = new Command("replay", "Reconstruct one case's chain of custody as a timeline, each event's inclusion proof checked.") { caseId, json };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var replay = await new LedgerReplay(opened, new LedgerService(opened, time, null)).ReplayAsync(parse.GetValue(caseId)!, ct).ConfigureAwait(false);
            if (replay.Steps.Count == 0)
            {
                io.Fail($"The ledger has no events for case '{parse.GetValue(caseId)}'.");
                return ExitCodes.InvalidInput;
            }

            if (parse.GetValue(json))
            {
                io.Output.WriteLine(JsonSerializer.Serialize(replay, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            }
            else
            {
                var table = new Table().AddColumns("#", "Time (UTC)", "Event", "Who", "What", "Proof");
                foreach (var step in replay.Steps)
                {
                    table.AddRow(
                        step.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        Markup.Escape(step.Time),
                        Markup.Escape(step.Type),
                        Markup.Escape(string.Join(" → ", step.Actors)),
                        Markup.Escape(step.Summary),
                        step.ProofVerified ? "[green]verified[/]" : step.ProofChecked ? "[red]FAILED[/]" : "[yellow]not yet checkpointed[/]");
                }

                io.Console.Write(table);
                io.Output.WriteLine(replay.CheckpointSize is { } size ? $"Proofs checked against the signed checkpoint at size {size}." : "No signed checkpoint yet: proofs could not be checked.");
            }

            return replay.Steps.All(s => s.ProofVerified || !s.ProofChecked) ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return command;
    }

    private static Command Checkpoint(CliIo io, TimeProvider time)
    {
        var ledgerKey = ServerCommands.LedgerKeyOption();
        var store = new StoreOptions();
        var command = new Command("checkpoint", "Sign a checkpoint of the ledger now and print it (C2SP signed note).") { ledgerKey };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var head = await opened.GetLedgerHeadAsync(ct).ConfigureAwait(false);
            var signer = await LedgerKeys.LoadOrCreateAsync(ServerCommands.LedgerKeyPath(parse, ledgerKey, store), head.Origin, opened, time, ct).ConfigureAwait(false);
            var checkpoint = await new LedgerService(opened, time, signer).CheckpointAsync(ct).ConfigureAwait(false);
            if (checkpoint is null)
            {
                io.Fail("The ledger is empty; there is nothing to sign.");
                return ExitCodes.InvalidInput;
            }

            io.Output.Write(checkpoint.Note);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Proof(CliIo io, TimeProvider time)
    {
        var proof = new Command("proof", "Print an inclusion or consistency proof (RFC 6962).");
        var index = new Argument<long>("INDEX") { Description = "Event sequence number." };
        var size = new Option<long?>("--size") { Description = "Tree size to prove against (default: the newest checkpoint's).", HelpName = "N" };
        var inclusionStore = new StoreOptions();
        var inclusion = new Command("inclusion", "Prove that event INDEX is in the tree.") { index, size };
        inclusionStore.AddTo(inclusion);
        inclusion.SetAction((parse, ct) => inclusionStore.WithStoreAsync(parse, io, ct, async opened =>
        {
            var service = new LedgerService(opened, time, null);
            var treeSize = parse.GetValue(size) ?? (await service.LatestCheckpointAsync(ct).ConfigureAwait(false))?.Size ?? (await opened.GetLedgerHeadAsync(ct).ConfigureAwait(false)).Size;
            var result = await service.InclusionProofAsync(parse.GetValue(index), treeSize, ct).ConfigureAwait(false);
            if (result is null)
            {
                io.Fail($"Index {parse.GetValue(index)} is not in a tree of size {treeSize}.");
                return ExitCodes.InvalidInput;
            }

            io.Output.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            return ExitCodes.Ok;
        }));

        var from = new Argument<long>("FROM") { Description = "The older tree size." };
        var to = new Argument<long>("TO") { Description = "The newer tree size." };
        var consistencyStore = new StoreOptions();
        var consistency = new Command("consistency", "Prove that the tree of size TO extends the tree of size FROM.") { from, to };
        consistencyStore.AddTo(consistency);
        consistency.SetAction((parse, ct) => consistencyStore.WithStoreAsync(parse, io, ct, async opened =>
        {
            var result = await new LedgerService(opened, time, null).ConsistencyProofAsync(parse.GetValue(from), parse.GetValue(to), ct).ConfigureAwait(false);
            if (result is null)
            {
                io.Fail("Need 1 <= FROM <= TO <= the ledger's size.");
                return ExitCodes.InvalidInput;
            }

            io.Output.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            return ExitCodes.Ok;
        }));
        proof.Subcommands.Add(inclusion);
        proof.Subcommands.Add(consistency);
        return proof;
    }

    private static Command Keys(CliIo io, TimeProvider time)
    {
        var rotate = new Option<bool>("--rotate") { Description = "Replace the signing key with a new one; old public keys stay listed so old checkpoints still verify." };
        var ledgerKey = ServerCommands.LedgerKeyOption();
        var store = new StoreOptions();
        var command = new Command("keys", "List the ledger's public keys (give them to auditors), or rotate the signing key.") { rotate, ledgerKey };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            if (parse.GetValue(rotate))
            {
                var head = await opened.GetLedgerHeadAsync(ct).ConfigureAwait(false);
                var signer = await LedgerKeys.RotateAsync(ServerCommands.LedgerKeyPath(parse, ledgerKey, store), head.Origin, opened, time, ct).ConfigureAwait(false);
                io.Output.WriteLine($"New signing key {signer.PublicKey.KeyId:x8}; restart the servers that use this key file.");
            }

            foreach (var key in await opened.ListLedgerKeysAsync(ct).ConfigureAwait(false))
            {
                io.Output.WriteLine(key);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
