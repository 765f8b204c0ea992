using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Skybridge.Application.Evaluation;
using Skybridge.Application.Ledger;
using Skybridge.Core.Evaluation;
using Skybridge.Storage;
using Spectre.Console;

namespace Skybridge.Cli.Commands;

/// <summary>
/// <c>skybridge eval calibrate WORKFLOW|MANIFEST</c>: sweeps <c>retrieval.abstain_below</c> and <c>top_k</c> over the golden
/// set and shows, per setting, accuracy on answered cases against abstention, with the bar's verdict. Exit 0 when some
/// setting clears the bar, 1 when none does, 2 on bad input (the sweep does not start). With a store (a workflow id, or
/// --data/--postgres) the sweep is stored as evidence with its <c>evaluation.calibrated</c> event, for the console and the
/// API; a sweep still only advises: the manifest's owner changes the thresholds and `eval run` records the run. See
/// docs/evaluation.md, "Calibration".
/// </summary>
internal static class EvalCalibrateCommand
{
    public static Command Create(CliIo io, TimeProvider time)
    {
        var target = new Argument<string>("WORKFLOW|MANIFEST") { Description = "A manifest file (its sources and golden set read from beside it), or a published workflow's id." };
        var version = new Option<int?>("--version") { Description = "The published version to calibrate (default: the active one). Only with a workflow id.", HelpName = "V" };
        var goldenSet = new Option<string?>("--golden-set") { Description = "The golden set file for a published version (default: the manifest's golden_set path, from the current folder).", HelpName = "FILE" };
        var abstainBelow = new Option<string>("--abstain-below") { Description = "Thresholds to try: FROM:TO:STEP or a comma list.", DefaultValueFactory = _ => "0.1:0.9:0.05", HelpName = "RANGE" };
        var topK = new Option<string?>("--top-k") { Description = "Passages retrieved to try, a comma list (default: the manifest's top_k).", HelpName = "LIST" };
        var keyTermsAt = new Option<string?>("--key-terms-missing-at") { Description = "retrieval.key_terms_missing_at values to try: FROM:TO:STEP or a comma list (default: the manifest's).", HelpName = "RANGE" };
        var mentionedBelow = new Option<string?>("--mentioned-below") { Description = "retrieval.mentioned_below values to try: FROM:TO:STEP or a comma list (default: the manifest's).", HelpName = "RANGE" };
        var agreedMeaningAt = new Option<string?>("--agreed-meaning-at") { Description = "retrieval.agreed_meaning_at values to try (with retrieval by meaning): FROM:TO:STEP or a comma list (default: the manifest's).", HelpName = "RANGE" };
        var meaningFarBelow = new Option<string?>("--meaning-far-below") { Description = "retrieval.meaning_far_below values to try (with retrieval by meaning): FROM:TO:STEP or a comma list (default: the manifest's).", HelpName = "RANGE" };
        var claimFarBelow = new Option<string?>("--claim-far-below") { Description = "retrieval.claim_far_below values to try (with retrieval by meaning, for an engine whose claims are not its quotes word for word): FROM:TO:STEP or a comma list (default: the manifest's).", HelpName = "RANGE" };
        var parallel = new Option<int>("--parallel") { Description = "Cases drafted at once (default: the processor count).", DefaultValueFactory = _ => Environment.ProcessorCount, HelpName = "N" };
        var json = new Option<bool>("--json") { Description = "Print the sweep as JSON." };
        var by = new Option<string?>("--by") { Description = "Who runs it, as the evidence records (default: the operating-system account)." };
        var store = new StoreOptions();
        var command = new Command("calibrate", "Sweep the abstention threshold (and top_k) over the golden set: accuracy against abstention per setting, and the setting that clears the bar.")
        {
            target, version, goldenSet, abstainBelow, topK, keyTermsAt, mentionedBelow, agreedMeaningAt, meaningFarBelow, claimFarBelow, parallel, json, by,
        };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var what = parse.GetValue(target)!;
            var thresholds = CalibrationGrid.ParseThresholds(parse.GetValue(abstainBelow)!, out var thresholdProblem);
            if (thresholds is null)
            {
                io.Fail($"--abstain-below: {thresholdProblem}", "e.g. --abstain-below 0.1:0.9:0.05");
                return ExitCodes.InvalidInput;
            }

            IReadOnlyList<int>? ks = null;
            if (parse.GetValue(topK) is { } topKText)
            {
                ks = CalibrationGrid.ParseTopK(topKText, out var topKProblem);
                if (ks is null)
                {
                    io.Fail($"--top-k: {topKProblem}", "e.g. --top-k 3,5,8");
                    return ExitCodes.InvalidInput;
                }
            }

            IReadOnlyList<double>? Values(Option<string?> option)
            {
                return parse.GetValue(option) is { } text ? CalibrationGrid.ParseThresholds(text, out _) ?? [] : null;
            }

            var (kts, mbs, ams, mfs, cfs) = (Values(keyTermsAt), Values(mentionedBelow), Values(agreedMeaningAt), Values(meaningFarBelow), Values(claimFarBelow));
            var malformed = new[] { ("--key-terms-missing-at", kts), ("--mentioned-below", mbs), ("--agreed-meaning-at", ams), ("--meaning-far-below", mfs), ("--claim-far-below", cfs) }
                .Where(o => o.Item2 is { Count: 0 }).Select(o => o.Item1).ToList();
            if (malformed.Count > 0)
            {
                io.Fail($"{string.Join(", ", malformed)}: not a range FROM:TO:STEP or a comma list of values between 0 and 1.", $"e.g. {malformed[0]} 0.3:0.7:0.1");
                return ExitCodes.InvalidInput;
            }

            if (parse.GetValue(parallel) < 1)
            {
                io.Fail("--parallel must be at least 1.");
                return ExitCodes.InvalidInput;
            }

            var isFile = EvalCommands.IsManifestFile(what);
            if (isFile && parse.GetValue(version) is not null)
            {
                io.Fail("--version names a published version; a manifest file is calibrated as it is.", $"skybridge eval calibrate {what}");
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

                if (await EvalCommands.PrepareAsync(io, isFile ? null : opened, what, parse.GetValue(version), parse.GetValue(goldenSet), "calibration", ct).ConfigureAwait(false) is not { } subject)
                {
                    return ExitCodes.InvalidInput;
                }

                var swept = ks ?? [subject.Manifest.Retrieval.TopK];
                var result = await Calibration.RunAsync(subject, swept, thresholds, parse.GetValue(parallel), time, cancellationToken: ct, dense: CliEmbeddings.ForFiles(io, parse), abstention: new AbstentionSweep(kts, mbs) { AgreedMeaningAt = ams, MeaningFarBelow = mfs, ClaimFarBelow = cfs }).ConfigureAwait(false);
                StoredCalibration? stored = null;
                if (opened is not null)
                {
                    await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
                    stored = await CalibrationEvidence.RecordAsync(ledger, result, swept, thresholds, time.GetUtcNow(), parse.GetValue(by) ?? CliApp.Actor, ct).ConfigureAwait(false);
                }

                if (parse.GetValue(json))
                {
                    var output = Calibration.Json(result);
                    output["calibration"] = stored?.Id;
                    io.Output.WriteLine(output.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                }
                else
                {
                    Print(io, result);
                    io.Output.WriteLine(stored is not null
                        ? $"Stored as evidence: {stored.Id} (evaluation.calibrated in the ledger; the console shows it under /workflows/{stored.WorkflowId}/calibrations)."
                        : "The sweep was not stored: name a store with --data or --postgres to keep it as evidence.");
                }

                return result.Recommended is not null ? ExitCodes.Ok : ExitCodes.Failed;
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

    private static void Print(CliIo io, CalibrationResult result)
    {
        // Fits an 80-column terminal: borderless, one space between columns, two-line headers, the current setting starred.
        var table = new Table().Border(TableBorder.None);
        foreach (var header in new[] { "top\nk", "abstain\nbelow", "share\nanswered", "accuracy\n(answered)", "accuracy\ninterval", "abst.\nrecall", "false\nabst.", "citation\nprecision", "clears\nthe bar" })
        {
            table.AddColumn(new TableColumn(header).PadLeft(0).PadRight(1));
        }

        foreach (var row in result.Rows)
        {
            var mark = row == result.Recommended ? " [green]best[/]" : "";
            table.AddRow(
                row.Setting.TopK.ToString(CultureInfo.InvariantCulture) + Extra(row.Setting),
                string.Create(CultureInfo.InvariantCulture, $"{row.Setting.AbstainBelow:0.00}") + (row.Current ? " *" : ""),
                string.Create(CultureInfo.InvariantCulture, $"{row.AnsweredShare:0.00}"),
                Plain(row, Metrics.AnswerAccuracy),
                Interval(result, row, Metrics.AnswerAccuracy),
                Plain(row, Metrics.AbstentionRecall),
                Plain(row, Metrics.FalseAbstentionRate),
                Plain(row, Metrics.CitationPrecision),
                (row.Verdict.Clears ? "[green]yes[/]" : $"[red]no[/] ({row.Verdict.Criteria.Count(c => !c.Cleared)})") + mark);
        }

        io.Console.Write(table);
        io.Output.WriteLine("* the manifest's current setting. Accuracy: facts right on answered cases, with its Wilson interval (--json has every metric's). no (N): N criteria fail.");
        io.Output.WriteLine($"{result.Rows.Count} settings over {result.Rows[0].Cases} cases from {result.Drafts} drafts (one per case, top_k and abstention setting; thresholds are applied to each draft's confidence)." + (result.Rows.Any(r => Extra(r.Setting).Length > 0) ? " After top_k: k = key_terms_missing_at, m = mentioned_below, a = agreed_meaning_at, f = meaning_far_below, c = claim_far_below." : ""));
        if (result.Recommended is { } best)
        {
            io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Recommended: {Describe(best.Setting)} clears the bar with the highest accuracy on answered cases ({Value(best[Metrics.AnswerAccuracy].Value)}, answering {best.AnsweredShare:0.00})")
                + (best.Current ? "; it is the manifest's current setting." : "."));
        }
        else if (result.Closest is { } closest)
        {
            var failing = closest.Verdict.Criteria.Where(c => !c.Cleared)
                .Select(c => $"{c.Criterion.Metric}{(c.Criterion.Tag is { } t ? $"[{t}]" : "")} {EvaluationEvidence.Status(c.Status).Replace('_', ' ')} ({c.Reason})");
            io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"No setting clears the bar; the closest is {Describe(closest.Setting)}, which fails: ") + string.Join("; ", failing) + ".");
        }
    }

    // The abstention settings a sweep varies, in the table's order and with their short and manifest names.
    private static IEnumerable<(string Short, string Name, double Value)> Varied(CalibrationSetting s) =>
        new (string, string, double?)[]
        {
            ("k", "key_terms_missing_at", s.KeyTermsMissingAt), ("m", "mentioned_below", s.MentionedBelow),
            ("a", "agreed_meaning_at", s.AgreedMeaningAt), ("f", "meaning_far_below", s.MeaningFarBelow),
            ("c", "claim_far_below", s.ClaimFarBelow),
        }.Where(v => v.Item3 is not null).Select(v => (v.Item1, v.Item2, v.Item3!.Value));

    // After top_k in the table: k = key_terms_missing_at, m = mentioned_below, a = agreed_meaning_at, f = meaning_far_below,
    // c = claim_far_below.
    private static string Extra(CalibrationSetting s) =>
        string.Concat(Varied(s).Select(v => string.Create(CultureInfo.InvariantCulture, $" {v.Short}{v.Value:0.00}")));

    private static string Describe(CalibrationSetting s) =>
        string.Create(CultureInfo.InvariantCulture, $"top_k {s.TopK}, abstain_below {s.AbstainBelow:0.00}")
        + string.Concat(Varied(s).Select(v => string.Create(CultureInfo.InvariantCulture, $", {v.Name} {v.Value:0.00}")));

    private static string Interval(CalibrationResult result, CalibrationRow row, string metric) =>
        Calibration.Interval(result, row, metric) is { } i ? Markup.Escape($"[{Short(i.Lower)},{Short(i.Upper)}]") : "-";

    private static string Plain(CalibrationRow row, string metric) => row[metric].Value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "-";

    private static string Short(double value) => value >= 0.995 ? "1" : value.ToString(".00", CultureInfo.InvariantCulture);

    private static string Value(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "-";
}
