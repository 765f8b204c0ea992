using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Application.Evaluation;
using Skybridge.Application.Ledger;
using Skybridge.Core.Evaluation;
using Skybridge.Storage;
using Spectre.Console;

namespace Skybridge.Cli.Commands;

/// <summary>
/// <c>skybridge eval run|compare|list|calibrate|pin|check</c>: runs a golden set against a manifest in sandbox mode and
/// judges it against the manifest's acceptance bar (exit 0 clears, 1 below the bar, 2 bad input), compares two stored runs
/// with a paired test, lists a workflow's runs, and checks a golden set against the manifest's sources. See
/// docs/evaluation.md, "Running an evaluation".
/// </summary>
internal static class EvalCommands
{
    public static Command Create(CliIo io, TimeProvider time)
    {
        var command = new Command("eval", "Evaluate a workflow against its golden set and acceptance bar; compare runs.");
        command.Subcommands.Add(Run(io, time));
        command.Subcommands.Add(Compare(io));
        command.Subcommands.Add(List(io));
        command.Subcommands.Add(EvalCalibrateCommand.Create(io, time));
        command.Subcommands.Add(Pin(io));
        command.Subcommands.Add(Check(io));
        return command;
    }

    private static Command Check(CliIo io)
    {
        var manifest = new Argument<string>("MANIFEST") { Description = "The manifest file: its golden set and sources are read from beside it." };
        var find = new Option<string?>("--find") { Description = "Only list the documents of the sources whose text states TEXT, as a text fact would match it.", HelpName = "TEXT" };
        var command = new Command("check", "Check the golden set against the manifest's sources: cited documents that do not exist, facts no cited document states, documents that state a fact but are not cited (exit 1 when anything is found).")
        {
            manifest, find,
        };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(manifest)!;
            // A golden set is checked after it is edited and before it is pinned again: a stale pin is only a warning here.
            var prepared = await EvaluationSubjects.FromManifestFileAsync(path, unpinnedChanges: true, ct).ConfigureAwait(false);
            foreach (var warning in prepared.Warnings)
            {
                io.Error.WriteLine(warning);
            }

            if (prepared.Subject is not { } subject)
            {
                foreach (var problem in prepared.Problems)
                {
                    io.Error.WriteLine(problem);
                }

                io.Fail($"Nothing was checked: {prepared.Problems.Count} problem{(prepared.Problems.Count == 1 ? "" : "s")} to fix first.");
                return ExitCodes.InvalidInput;
            }

            var documents = subject.Documents.Where(d => !d.IsOutdated).Select(d => new CheckedDocument(d.Path, d.Text)).ToList();
            if (parse.GetValue(find) is { } text)
            {
                var found = GoldenSetSourceCheck.Find(text, documents);
                foreach (var document in found)
                {
                    io.Output.WriteLine(document);
                }

                io.Error.WriteLine($"{found.Count} of {documents.Count} documents state it.");
                return found.Count > 0 ? ExitCodes.Ok : ExitCodes.Failed;
            }

            var findings = GoldenSetSourceCheck.Check(subject.GoldenSet, documents);
            foreach (var finding in findings)
            {
                io.Output.WriteLine(finding);
            }

            var cases = subject.GoldenSet.Cases.Count(c => c.Expect.Outcome == ExpectedOutcome.Answer);
            var byCode = string.Join(", ", findings.GroupBy(f => f.Code).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));
            io.Output.WriteLine(findings.Count == 0
                ? $"{subject.GoldenSetFile}: {cases} answer cases checked against {documents.Count} documents: every fact is on a cited document, and every document that states one is cited."
                : $"{subject.GoldenSetFile}: {cases} answer cases checked against {documents.Count} documents: {findings.Count} finding{(findings.Count == 1 ? "" : "s")} ({byCode}).");
            return findings.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static Command Pin(CliIo io)
    {
        var manifest = new Argument<string>("MANIFEST") { Description = "The manifest file whose golden_set to pin (the golden set is read from beside it)." };
        var command = new Command("pin", "Pin the manifest's golden set to the SHA-256 of the file as it is now, once its cases are reviewed: only the pin is written, the rest of the manifest is kept as it is.") { manifest };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(manifest)!;
            if (!File.Exists(path))
            {
                io.Fail($"No manifest file {path}.");
                return ExitCodes.InvalidInput;
            }

            var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            var text = await File.ReadAllTextAsync(path, ct).ConfigureAwait(false);
            var pinned = GoldenSetPin.Pin(text, path, p => File.Exists(Path.Combine(folder, p)) ? File.ReadAllBytes(Path.Combine(folder, p)) : null);
            if (pinned.Problems.Count > 0)
            {
                foreach (var problem in pinned.Problems)
                {
                    io.Error.WriteLine(problem);
                }

                io.Fail($"Nothing was pinned: {pinned.Problems.Count} problem{(pinned.Problems.Count == 1 ? "" : "s")} of {path} to fix first.");
                return ExitCodes.Failed;
            }

            if (pinned.NoGoldenSet)
            {
                io.Fail($"{path} names no golden_set to pin.", "Add golden_set: PATH (the cases file beside the manifest) first.");
                return ExitCodes.Failed;
            }

            if (!pinned.Changed)
            {
                io.Output.WriteLine($"{pinned.Path} is pinned already: sha256 {pinned.After}.");
                return ExitCodes.Ok;
            }

            // Written whole or not at all: a temporary file beside it, then renamed over it.
            var temporary = path + ".pin-" + Guid.NewGuid().ToString("N")[..8];
            await File.WriteAllTextAsync(temporary, pinned.Text, ct).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
            io.Output.WriteLine(pinned.Before is null
                ? $"Pinned {pinned.Path}: sha256 {pinned.After}."
                : $"Pinned {pinned.Path}: sha256 {pinned.Before} -> {pinned.After}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static bool IsManifestFile(string target) =>
        File.Exists(target) || target.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || target.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    private static Command Run(CliIo io, TimeProvider time)
    {
        var target = new Argument<string>("WORKFLOW|MANIFEST") { Description = "A manifest file (its sources and golden set read from beside it), or a published workflow's id." };
        var version = new Option<int?>("--version") { Description = "The published version to evaluate (default: the active one). Only with a workflow id.", HelpName = "V" };
        var goldenSet = new Option<string?>("--golden-set") { Description = "The golden set file for a published version (default: the manifest's golden_set path, from the current folder).", HelpName = "FILE" };
        var outDir = new Option<string?>("--out") { Description = "Write report.html (self-contained), junit.xml and results.json into DIR.", HelpName = "DIR" };
        var repeat = new Option<int>("--repeat") { Description = "Run each case K times; a case passes only when every repeat is right (pass^k).", DefaultValueFactory = _ => 1, HelpName = "K" };
        var parallel = new Option<int>("--parallel") { Description = "Cases drafted at once (default: the processor count).", DefaultValueFactory = _ => Environment.ProcessorCount, HelpName = "N" };
        var by = new Option<string?>("--by") { Description = "Who runs it, as the evidence records (default: the operating-system account)." };
        var store = new StoreOptions();
        var command = new Command("run", "Run the golden set in sandbox mode (actions decided, never executed) and judge it against the acceptance bar.")
        {
            target, version, goldenSet, outDir, repeat, parallel, by, CliSkippedFiles.ShowAll,
        };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var what = parse.GetValue(target)!;
            var k = parse.GetValue(repeat);
            var limit = parse.GetValue(parallel);
            if (k < 1 || limit < 1)
            {
                io.Fail("--repeat and --parallel must be at least 1.");
                return ExitCodes.InvalidInput;
            }

            var isFile = IsManifestFile(what);
            if (isFile && parse.GetValue(version) is not null)
            {
                io.Fail("--version names a published version; a manifest file is evaluated as it is.", $"skybridge eval run {what}");
                return ExitCodes.InvalidInput;
            }

            ISkybridgeStore? opened = null;
            try
            {
                if (!isFile || store.WasGiven(parse))
                {
                    opened = await store.OpenAsync(parse, io, ct).ConfigureAwait(false);
                    if (opened is null)
                    {
                        return ExitCodes.Failed;
                    }
                }

                if (await EvalCommands.PrepareAsync(io, isFile ? null : opened, what, parse.GetValue(version), parse.GetValue(goldenSet), "evaluation", ct).ConfigureAwait(false) is not { } subject)
                {
                    return ExitCodes.InvalidInput;
                }

                // Before the run, not after it: a run of minutes is not lost to a mistyped --out.
                if (parse.GetValue(outDir) is { } reportFolder && CliFiles.CannotWriteInto(reportFolder) is { } why)
                {
                    io.Fail($"The report cannot be written into {reportFolder}: {why}.", "Name a folder you can write in, or leave --out out.");
                    return ExitCodes.InvalidInput;
                }

                var skipped = new CliSkippedFiles(io.Error, parse.GetValue(CliSkippedFiles.ShowAll));
                foreach (var (source, file) in subject.Skipped)
                {
                    skipped.Add(source, file);
                }

                skipped.Flush();

                var run = await RunWithProgressAsync(io, parse, subject, new EvaluationOptions { Repeat = k, Parallelism = limit }, time, ct).ConfigureAwait(false);
                PrintVerdict(io, run);
                var written = true;
                if (parse.GetValue(outDir) is { } dir)
                {
                    try
                    {
                        await EvaluationReports.WriteAsync(run, dir, ct).ConfigureAwait(false);
                        io.Output.WriteLine($"Wrote {Path.Combine(dir, EvaluationReports.Html)}, {EvaluationReports.JUnit} and {EvaluationReports.Results}.");
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        // The folder went away or filled up during the run: said plainly, and the run is still stored below.
                        io.Fail($"The report could not be written into {dir}: {ex.Message}");
                        written = false;
                    }
                }

                if (opened is not null)
                {
                    await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
                    await EvaluationEvidence.RecordAsync(ledger, run, parse.GetValue(by) ?? CliApp.Actor, ct).ConfigureAwait(false);
                    io.Output.WriteLine($"Stored as evidence: {run.Id} (evaluation.completed in the ledger; skybridge eval list {run.WorkflowId}).");
                }
                else
                {
                    io.Output.WriteLine($"Run {run.Id} was not stored: name a store with --data or --postgres to keep it as evidence.");
                }

                return run.Verdict.Clears && written ? ExitCodes.Ok : ExitCodes.Failed;
            }
            finally
            {
                if (opened is not null)
                {
                    await opened.DisposeAsync().ConfigureAwait(false);
                }
            }
        });
        return command;
    }

    private static async Task<EvaluationRun> RunWithProgressAsync(CliIo io, ParseResult parse, EvaluationSubject subject, EvaluationOptions options, TimeProvider time, CancellationToken ct)
    {
        var total = subject.GoldenSet.Cases.Count * options.Repeat;
        EvaluationRun? run = null;
        await io.Console.Progress().AutoClear(true).HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"Evaluating {subject.GoldenSet.Cases.Count} cases" + (options.Repeat > 1 ? $" x {options.Repeat}" : ""), maxValue: total);
                // The sources' passages are embedded before the first case (minutes for a large corpus the first time):
                // shown as a task of its own, so the cases' bar is not taken to be stuck at 0%.
                ProgressTask? embedding = null;
                var dense = CliEmbeddings.ForFiles(io, parse, p =>
                {
                    embedding ??= context.AddTask(string.Create(CultureInfo.InvariantCulture, $"Embedding {p.Total:N0} passages (once)"), maxValue: p.Total);
                    embedding.Value = p.Done;
                });
                var progress = new Progress<int>(done => task.Value = Math.Max(task.Value, done));
                run = await EvaluationRunner.RunAsync(subject, options with { Dense = dense }, time, progress, ct).ConfigureAwait(false);
                task.Value = total;
            }).ConfigureAwait(false);
        return run!;
    }

    private static void PrintVerdict(CliIo io, EvaluationRun run)
    {
        var table = new Table().AddColumns("Metric", "Tag", "Value", "Interval", "Threshold", "Status");
        foreach (var c in run.Verdict.Criteria)
        {
            var status = EvaluationEvidence.Status(c.Status).Replace('_', ' ');
            table.AddRow(
                Markup.Escape(c.Criterion.Metric),
                Markup.Escape(c.Criterion.Tag ?? "all"),
                c.Measured.Value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "-",
                c.Interval is { } i ? Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"[{i.Lower:0.000}, {i.Upper:0.000}]")) : "direct",
                Markup.Escape(EvaluationEvidence.Threshold(c.Criterion)),
                c.Status switch { CriterionStatus.Cleared => $"[green]{status}[/]", CriterionStatus.Failed => $"[red]{status}[/]", _ => $"[yellow]{status}[/]" });
        }

        io.Console.Write(table);
        var passed = run.Cases.Count(c => c.Score.Passed);
        io.Output.WriteLine($"{run.Cases.Count} cases, {passed} passed" + (run.Repeat > 1
            ? string.Create(CultureInfo.InvariantCulture, $"; pass^{run.Repeat} {run.PassK.Overall.Value:0.000}, on consequential actions {(run.PassK.Consequential.Value is { } pc ? pc.ToString("0.000", CultureInfo.InvariantCulture) : "-")}")
            : "") + ".");
        if (run.Verdict.Criteria.Count == 0)
        {
            io.Output.WriteLine("The manifest states no acceptance_bar: an empty bar never clears.");
        }

        io.Output.WriteLine(run.Verdict.Clears ? "Verdict: clears the acceptance bar." : "Verdict: below the acceptance bar.");
    }

    private static Command Compare(CliIo io)
    {
        var a = new Argument<string>("RUN_A") { Description = "The baseline run's id." };
        var b = new Argument<string>("RUN_B") { Description = "The candidate run's id." };
        var json = new Option<bool>("--json") { Description = "Print the comparison as JSON." };
        var store = new StoreOptions();
        var command = new Command("compare", "Compare two stored runs: cases that newly fail or pass, metric deltas, and the exact McNemar test (exit 1 when significantly worse).") { a, b, json };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var baseline = await opened.GetEvaluationRunAsync(parse.GetValue(a)!, ct).ConfigureAwait(false);
            var candidate = await opened.GetEvaluationRunAsync(parse.GetValue(b)!, ct).ConfigureAwait(false);
            if (baseline is null || candidate is null)
            {
                io.Fail($"No stored run {(baseline is null ? parse.GetValue(a) : parse.GetValue(b))}.", "See: skybridge eval list WORKFLOW");
                return ExitCodes.InvalidInput;
            }

            var comparison = RunComparison.Compare(
                [.. EvaluationEvidence.CasesOf(baseline).Select(c => c.Score)], [.. EvaluationEvidence.CasesOf(candidate).Select(c => c.Score)]);
            if (parse.GetValue(json))
            {
                io.Output.WriteLine(new JsonObject
                {
                    ["baseline"] = baseline.Id,
                    ["candidate"] = candidate.Id,
                    ["newlyFailing"] = new JsonArray([.. comparison.NewlyFailing.Select(x => (JsonNode)x)]),
                    ["newlyPassing"] = new JsonArray([.. comparison.NewlyPassing.Select(x => (JsonNode)x)]),
                    ["bothPassing"] = comparison.BothPassing,
                    ["bothFailing"] = comparison.BothFailing,
                    ["unpaired"] = new JsonArray([.. comparison.Unpaired.Select(x => (JsonNode)x)]),
                    ["pValue"] = comparison.PValue,
                    ["significantlyWorse"] = comparison.SignificantlyWorse,
                    ["significantlyBetter"] = comparison.SignificantlyBetter,
                    ["deltas"] = new JsonArray([.. comparison.Deltas.Select(d => (JsonNode)new JsonObject
                    {
                        ["metric"] = d.Metric, ["baseline"] = d.Baseline, ["candidate"] = d.Candidate, ["delta"] = d.Delta,
                    })]),
                }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                io.Output.WriteLine($"{baseline.Id} ({Describe(baseline)}) -> {candidate.Id} ({Describe(candidate)})");
                io.Output.WriteLine($"Newly failing ({comparison.NewlyFailing.Count}): {(comparison.NewlyFailing.Count == 0 ? "none" : string.Join(", ", comparison.NewlyFailing))}");
                io.Output.WriteLine($"Newly passing ({comparison.NewlyPassing.Count}): {(comparison.NewlyPassing.Count == 0 ? "none" : string.Join(", ", comparison.NewlyPassing))}");
                io.Output.WriteLine($"Both passing {comparison.BothPassing}, both failing {comparison.BothFailing}, unpaired {comparison.Unpaired.Count}.");
                var table = new Table().AddColumns("Metric", "Baseline", "Candidate", "Delta");
                foreach (var d in comparison.Deltas)
                {
                    table.AddRow(d.Metric, Number(d.Baseline), Number(d.Candidate), d.Delta is { } x ? x.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture) : "-");
                }

                io.Console.Write(table);
                io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"McNemar exact p = {comparison.PValue:0.0000} ({comparison.NewlyFailing.Count} worse, {comparison.NewlyPassing.Count} better)."));
                io.Output.WriteLine(comparison.SignificantlyWorse
                    ? "Significantly worse: the candidate fails cases the baseline passed, more than chance explains (p < 0.05), even if it clears the bar."
                    : comparison.SignificantlyBetter ? "Significantly better (p < 0.05)." : "No significant difference (p >= 0.05 or not more worse than better).");
            }

            return comparison.SignificantlyWorse ? ExitCodes.Failed : ExitCodes.Ok;
        }));
        return command;
    }

    private static string Describe(StoredEvaluationRun run) => $"{run.WorkflowId}{(run.Version is { } v ? $" v{v}" : " manifest file")}, {run.Verdict}";

    private static string Number(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    private static Command List(CliIo io)
    {
        var workflow = new Argument<string>("WORKFLOW") { Description = "The workflow's id." };
        var store = new StoreOptions();
        var command = new Command("list", "List a workflow's stored evaluation runs, newest first.") { workflow };
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var runs = await opened.ListEvaluationRunsAsync(parse.GetValue(workflow)!, ct).ConfigureAwait(false);
            if (runs.Count == 0)
            {
                io.Output.WriteLine($"No evaluation runs are stored for {parse.GetValue(workflow)}: skybridge eval run MANIFEST --data DIR stores one.");
                return ExitCodes.Ok;
            }

            // Run ids are copied into `eval compare`: never wrapped.
            var table = new Table().AddColumn(new TableColumn("Run").NoWrap()).AddColumns("Version", "Verdict", "Started (UTC)", "By", "Manifest / golden set");
            foreach (var run in runs)
            {
                table.AddRow(run.Id, run.Version?.ToString(CultureInfo.InvariantCulture) ?? "file", run.Verdict == StoredEvaluationRun.Clears ? "[green]clears[/]" : "[red]fails[/]",
                    run.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), Markup.Escape(run.RunBy), $"{run.ManifestHash[..8]} / {run.GoldenSetHash[..8]}");
            }

            io.Console.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>
    /// What a run or a sweep evaluates: a manifest file (<paramref name="store"/> null) or a published version, with its
    /// golden set; warnings are printed, and when anything is wrong every problem is printed with its place and null is
    /// returned, so nothing starts.
    /// </summary>
    internal static async Task<EvaluationSubject?> PrepareAsync(CliIo io, ISkybridgeStore? store, string what, int? version, string? goldenSet, string starting, CancellationToken ct)
    {
        var prepared = store is null
            ? await EvaluationSubjects.FromManifestFileAsync(what, ct).ConfigureAwait(false)
            : await EvaluationSubjects.FromStoredVersionAsync(store, store, what, version, goldenSet, Directory.GetCurrentDirectory(), ct).ConfigureAwait(false);
        foreach (var warning in prepared.Warnings)
        {
            io.Error.WriteLine(warning);
        }

        if (prepared.Subject is null)
        {
            foreach (var problem in prepared.Problems)
            {
                io.Error.WriteLine(problem);
            }

            io.Fail($"The {starting} did not start: {prepared.Problems.Count} problem{(prepared.Problems.Count == 1 ? "" : "s")} to fix first.");
        }

        return prepared.Subject;
    }
}
