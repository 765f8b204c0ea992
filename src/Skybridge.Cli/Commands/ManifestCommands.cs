using System.CommandLine;
using System.Text.Json;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Evaluation;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Storage;
using Spectre.Console;

namespace Skybridge.Cli.Commands;

/// <summary><c>skybridge manifest validate|publish|activate|rollback|list|show</c>.</summary>
internal static class ManifestCommands
{
    public static Command Create(CliIo io, TimeProvider time)
    {
        var manifest = new Command("manifest", "Validate, publish and switch workflow manifest versions.");
        manifest.Subcommands.Add(Validate(io, time));
        manifest.Subcommands.Add(Publish(io, time));
        manifest.Subcommands.Add(Activate(io, time));
        manifest.Subcommands.Add(Rollback(io, time));
        manifest.Subcommands.Add(List(io));
        manifest.Subcommands.Add(Show(io));
        return manifest;
    }

    private static Argument<string> PathArgument() => new("PATH") { Description = "The manifest YAML file." };

    private static Argument<string> WorkflowArgument() => new("WORKFLOW") { Description = "Workflow id, e.g. support-desk." };

    private static Option<string?> ByOption() => new("--by")
    {
        Description = "Who is making this change, as recorded in the history (default: your OS user name).",
        HelpName = "NAME",
    };

    private static string Actor(string? by) => by ?? $"{Environment.UserName}@cli";

    private static Command Validate(CliIo io, TimeProvider time)
    {
        var path = PathArgument();
        var json = new Option<bool>("--json") { Description = "Print the diagnostics as JSON." };
        var store = new StoreOptions();
        var command = new Command("validate", "Report every problem in a manifest at once (exit code 2 when invalid). Nothing is stored.") { path, json };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var fullPath = Path.GetFullPath(parse.GetValue(path)!);
            if (await CliFiles.ReadTextAsync(fullPath, io, ct).ConfigureAwait(false) is not { } yaml)
            {
                return ExitCodes.InvalidInput;
            }

            // Autonomy evidence lives in the store: use it when one is named or the default one exists,
            // otherwise validate offline, where only L0-draft has evidence.
            var folder = store.DataFolder(parse);
            var useStore = store.WasGiven(parse) || (folder is not null && File.Exists(Path.Combine(folder, "skybridge.db")));
            ManifestPublishResult result;
            if (useStore)
            {
                await using var opened = await store.OpenAsync(parse, io, ct).ConfigureAwait(false);
                if (opened is null)
                {
                    return ExitCodes.Failed;
                }

                await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
                result = await new ManifestService(opened, time, ledger).ValidateAsync(yaml, parse.GetValue(path)!, FileProbe(fullPath), ct).ConfigureAwait(false);
            }
            else
            {
                result = ManifestService.ValidateOffline(yaml, parse.GetValue(path)!, FileProbe(fullPath));
            }

            if (parse.GetValue(json))
            {
                io.Output.WriteLine(JsonSerializer.Serialize(new
                {
                    file = parse.GetValue(path),
                    valid = result.IsValid,
                    workflowId = result.WorkflowId,
                    diagnostics = result.Diagnostics.Select(d => new { code = d.Code, severity = d.Severity.ToString().ToLowerInvariant(), message = d.Message, file = d.Location.File, line = d.Location.Line, column = d.Location.Column, suggestion = d.Suggestion }),
                }, JsonOptions));
            }
            else
            {
                PrintDiagnostics(io, parse.GetValue(path)!, result.Diagnostics);
            }

            return result.IsValid ? ExitCodes.Ok : ExitCodes.InvalidInput;
        });
        return command;
    }

    private static Command Publish(CliIo io, TimeProvider time)
    {
        var path = PathArgument();
        var activate = new Option<bool>("--activate") { Description = "Also make the new version the active one (a stored evaluation run of it must clear its bar, or the owner gives --override-reason)." };
        var overrideReason = OverrideReasonOption();
        var by = ByOption();
        var store = new StoreOptions();
        var command = new Command("publish", "Validate a manifest and store it as a new immutable version. Nothing is stored from an invalid manifest.") { path, activate, overrideReason, by };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(path)!;
            var fullPath = Path.GetFullPath(file);
            if (await CliFiles.ReadTextAsync(fullPath, io, ct).ConfigureAwait(false) is not { } yaml)
            {
                return ExitCodes.InvalidInput;
            }

            return await store.WithStoreAsync(parse, io, ct, async opened =>
            {
                await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
                var result = await new ManifestService(opened, time, ledger).PublishAsync(yaml, file, FileProbe(fullPath), Actor(parse.GetValue(by)), parse.GetValue(activate),
                    OverrideOf(parse.GetValue(overrideReason)), ct).ConfigureAwait(false);
                if (!result.IsValid || result.Published is null)
                {
                    PrintDiagnostics(io, file, result.Diagnostics);
                    io.Fail("The manifest has errors; nothing was stored.");
                    return ExitCodes.InvalidInput;
                }

                PrintDiagnostics(io, file, result.Diagnostics, quietWhenClean: true);
                var v = result.Published.Version;
                io.Output.WriteLine(result.Published.Outcome == PublishOutcome.Published
                    ? $"Published {v.WorkflowId} version {v.Version} (sha256 {v.ContentHash[..12]}, {v.AutonomyLevel})."
                    : $"{v.WorkflowId} version {v.Version} already has this exact content (sha256 {v.ContentHash[..12]}); nothing new stored.");
                if (result.Activation is { } activation)
                {
                    return ReportActivation(io, v.WorkflowId, activation);
                }

                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Activate(CliIo io, TimeProvider time)
    {
        var workflow = WorkflowArgument();
        var version = new Argument<int>("VERSION") { Description = "The version number to activate." };
        var overrideReason = OverrideReasonOption();
        var by = ByOption();
        var store = new StoreOptions();
        var command = new Command("activate", "Make a published version the active one: a stored evaluation run of that exact version must clear its bar, or the owner gives --override-reason.") { workflow, version, overrideReason, by };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
            var (result, diagnostics) = await new ManifestService(opened, time, ledger).ActivateAsync(parse.GetValue(workflow)!, parse.GetValue(version), Actor(parse.GetValue(by)),
                OverrideOf(parse.GetValue(overrideReason)), ct).ConfigureAwait(false);
            if (diagnostics.Count > 0)
            {
                PrintDiagnostics(io, $"{parse.GetValue(workflow)} v{parse.GetValue(version)}", diagnostics);
                io.Fail("That version no longer validates (for example its autonomy level lacks evidence); it was not activated.");
                return ExitCodes.InvalidInput;
            }

            return ReportActivation(io, parse.GetValue(workflow)!, result);
        }));
        return command;
    }

    private static Command Rollback(CliIo io, TimeProvider time)
    {
        var workflow = WorkflowArgument();
        var by = ByOption();
        var store = new StoreOptions();
        var command = new Command("rollback", "Re-activate the version that was active before the current one.") { workflow, by };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
            var result = await new ManifestService(opened, time, ledger).RollbackAsync(parse.GetValue(workflow)!, Actor(parse.GetValue(by)), ct).ConfigureAwait(false);
            return ReportActivation(io, parse.GetValue(workflow)!, result);
        }));
        return command;
    }

    private static Command List(CliIo io)
    {
        var workflow = new Argument<string?>("WORKFLOW") { Description = "A workflow id for its version history; omit to list workflows.", Arity = ArgumentArity.ZeroOrOne };
        var store = new StoreOptions();
        var command = new Command("list", "List workflows, or one workflow's manifest history.") { workflow };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var id = parse.GetValue(workflow);
            if (id is null)
            {
                var table = new Table().AddColumns("Workflow", "Name", "Active", "Autonomy level", "Latest");
                foreach (var w in await opened.ListWorkflowsAsync(ct).ConfigureAwait(false))
                {
                    table.AddRow(Markup.Escape(w.Id), Markup.Escape(w.Name), w.ActiveVersion is { } a ? $"v{a}" : "none", Markup.Escape(w.AutonomyLevel ?? "-"), $"v{w.LatestVersion}");
                }

                io.Console.Write(table);
                return ExitCodes.Ok;
            }

            var summary = await opened.GetWorkflowAsync(id, ct).ConfigureAwait(false);
            if (summary is null)
            {
                io.Fail($"No workflow named '{id}'.", "skybridge manifest list shows the workflows there are.");
                return ExitCodes.InvalidInput;
            }

            var gates = ActivationBases.ByVersion(await opened.ListActivationsAsync(id, ct).ConfigureAwait(false));
            var versions = new Table().AddColumns("Version", "SHA-256", "Autonomy level", "Published by", "Published at (UTC)", "", "Gate");
            foreach (var v in await opened.ListVersionsAsync(id, ct).ConfigureAwait(false))
            {
                versions.AddRow($"v{v.Version}", v.ContentHash[..12], Markup.Escape(v.AutonomyLevel), Markup.Escape(v.PublishedBy), v.PublishedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), v.Version == summary.ActiveVersion ? "[green]active[/]" : "",
                    gates.TryGetValue(v.Version, out var gate) ? Markup.Escape(ActivationBases.Short(gate.Basis!)) : "");
            }

            io.Console.Write(versions);
            // The gate in full below the table, so an override's reason is never cut by the terminal's width.
            foreach (var (number, activation) in gates.OrderByDescending(g => g.Key))
            {
                io.Output.WriteLine($"v{number} activated by {activation.Actor} on {ActivationBases.Describe(activation.Basis!)}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Show(CliIo io)
    {
        var workflow = WorkflowArgument();
        var version = new Argument<int>("VERSION") { Description = "The version number." };
        var store = new StoreOptions();
        var command = new Command("show", "Print a stored manifest version exactly as published.") { workflow, version };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var stored = await opened.GetVersionAsync(parse.GetValue(workflow)!, parse.GetValue(version), ct).ConfigureAwait(false);
            if (stored is null)
            {
                io.Fail($"Workflow '{parse.GetValue(workflow)}' has no version {parse.GetValue(version)}.");
                return ExitCodes.InvalidInput;
            }

            io.Output.Write(stored.Yaml);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Option<string?> OverrideReasonOption() => new("--override-reason")
    {
        Description = "As the workflow's owner (--by), activate without a stored evaluation run that clears the bar; the reason is recorded and shown with the version.",
    };

    private static ActivationOverride? OverrideOf(string? reason) => reason is null ? null : new ActivationOverride(reason);

    private static int ReportActivation(CliIo io, string workflowId, ActivationResult result)
    {
        switch (result.Outcome)
        {
            case ActivationOutcome.Activated:
                var a = result.Activation!;
                io.Output.WriteLine(a.PreviousVersion is { } previous
                    ? $"{workflowId}: version {a.Version} is now active (was {previous}; {a.Kind})."
                    : $"{workflowId}: version {a.Version} is now active.");
                if (a.Basis is { } basis)
                {
                    io.Output.WriteLine($"Activated on {ActivationBases.Describe(basis)}.");
                }

                return ExitCodes.Ok;
            case ActivationOutcome.GateRefused:
                var gate = result.Gate!;
                io.Fail($"{workflowId}: not activated ({gate.Code}). {gate.Detail}",
                    gate.Code is ActivationGate.OverrideNotOwner or ActivationGate.OverrideReasonRequired
                        ? "Ask the workflow's owner, or run the evaluation: skybridge eval run WORKFLOW --version N --data DIR."
                        : "Run the evaluation of that version (skybridge eval run WORKFLOW --version N --data DIR), or, as the owner, add --override-reason \"...\".");
                return ExitCodes.Failed;
            case ActivationOutcome.AlreadyActive:
                io.Output.WriteLine($"{workflowId}: that version is already active; nothing changed.");
                return ExitCodes.Ok;
            case ActivationOutcome.UnknownWorkflow:
                io.Fail($"No workflow named '{workflowId}'.", "skybridge manifest list shows the workflows there are.");
                return ExitCodes.InvalidInput;
            case ActivationOutcome.UnknownVersion:
                io.Fail($"Workflow '{workflowId}' has no such version.", $"skybridge manifest list {workflowId} shows its versions.");
                return ExitCodes.InvalidInput;
            default:
                io.Fail($"Workflow '{workflowId}' has no earlier active version to roll back to.");
                return ExitCodes.InvalidInput;
        }
    }

    internal static void PrintDiagnostics(CliIo io, string file, IReadOnlyList<Diagnostic> diagnostics, bool quietWhenClean = false)
    {
        foreach (var d in diagnostics)
        {
            io.Output.WriteLine(d.ToString());
        }

        var errors = diagnostics.Count(d => d.IsError);
        var warnings = diagnostics.Count - errors;
        if (!quietWhenClean || diagnostics.Count > 0)
        {
            io.Output.WriteLine(errors == 0
                ? $"{file}: valid ({warnings} warning{(warnings == 1 ? "" : "s")})"
                : $"{file}: {errors} error{(errors == 1 ? "" : "s")}, {warnings} warning{(warnings == 1 ? "" : "s")}");
        }
    }

    /// <summary>Resolves manifest-relative paths (golden set, sources) for the core's checks, without letting them escape.</summary>
    private static Func<string, bool> FileProbe(string manifestPath)
    {
        var folder = Path.GetDirectoryName(manifestPath)!;
        return relative => File.Exists(Path.Combine(folder, relative)) || Directory.Exists(Path.Combine(folder, relative));
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}
