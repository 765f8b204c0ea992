using System.CommandLine;
using System.Text.Json;
using Skybridge.Application.Governance;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Governance.Policy;
using Spectre.Console;

namespace Skybridge.Cli.Commands;

/// <summary>
/// <c>skybridge policy test|lint</c>: explain one decision, and find rules that do not do what they say. Both take a
/// manifest file or a workflow id (its active version, from the store).
/// </summary>
/// <remarks>
/// Exit codes of <c>policy test</c>: 0 allowed, 1 denied, 3 allowed once approved, 2 bad input; so a script can
/// assert "this call runs on its own" with exit 0. <c>policy lint</c>: 0 clean, 1 findings, 2 bad input.
/// <c>policy replay</c>: 0 nothing flips, 3 something flips (or cannot be told from the record), 2 bad input; so a
/// pipeline can refuse a policy change that would change recorded decisions unnoticed.
/// </remarks>
internal static class PolicyCommands
{
    /// <summary><c>policy test</c>: the call is allowed once the approve authority approves it.</summary>
    public const int ApprovalRequired = 3;

    /// <summary><c>policy test</c>: the call is denied; <c>policy lint</c>: there are findings.</summary>
    public const int DeniedOrFindings = 1;

    public static Command Create(CliIo io)
    {
        var policy = new Command("policy", "Explain policy decisions and lint policy rules.");
        policy.Subcommands.Add(Test(io));
        policy.Subcommands.Add(Lint(io));
        policy.Subcommands.Add(Replay(io));
        return policy;
    }

    private static Argument<string> TargetArgument() => new("WORKFLOW|MANIFEST")
    {
        Description = "A manifest YAML file, or a workflow id for its active version in the store.",
    };

    private static Command Test(CliIo io)
    {
        var target = TargetArgument();
        var requestPath = new Argument<string>("REQUEST") { Description = "A JSON policy request (see docs/policy.md)." };
        var json = new Option<bool>("--json") { Description = "Print the decision as JSON." };
        var store = new StoreOptions();
        var command = new Command("test", "Decide one request and explain it. Exit 0 allowed, 3 needs approval, 1 denied, 2 bad input.") { target, requestPath, json };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(requestPath)!;
            if (await CliFiles.ReadTextAsync(file, io, ct).ConfigureAwait(false) is not { } text)
            {
                return ExitCodes.InvalidInput;
            }

            var request = PolicyTools.ParseRequest(text, file);
            if (!request.IsValid)
            {
                ManifestCommands.PrintDiagnostics(io, file, request.Diagnostics);
                return ExitCodes.InvalidInput;
            }

            var (source, exit) = await LoadAsync(parse, target, store, io, ct).ConfigureAwait(false);
            if (source?.Load.Manifest is not { } manifest)
            {
                return exit;
            }

            var call = request.Request;
            var decision = CompiledPolicy.Compile(manifest).Decide(call);
            var explanation = decision.Explain(call);
            if (parse.GetValue(json))
            {
                io.Output.WriteLine(JsonSerializer.Serialize(new
                {
                    manifest = source.Name,
                    action = call.Action,
                    outcome = Snake(decision.Outcome.ToString()),
                    reason = Snake(decision.Reason.ToString()),
                    summary = explanation.Summary,
                    rules = explanation.Rules.Select(r => new { id = r.Id, effect = r.Effect.ToString().ToLowerInvariant(), text = r.Text, description = r.Description }),
                    approvers = explanation.Approvers,
                    authority = explanation.Authority.Select(p => p.ToString()),
                    would_allow = explanation.WouldAllow,
                    log_only = decision.LogOnlyRuleIds.Count == 0 ? null : new
                    {
                        rules = decision.LogOnlyRuleIds,
                        outcome = Snake(decision.LogOnlyOutcome.ToString()),
                        would_change = decision.LogOnlyWouldChange,
                        text = explanation.LogOnly,
                    },
                }, JsonOptions));
            }
            else
            {
                var verdict = decision.Outcome switch
                {
                    PolicyOutcome.Allow => "ALLOW",
                    PolicyOutcome.RequireApproval => "REQUIRE APPROVAL",
                    _ => "DENY",
                };
                io.Output.WriteLine($"{call.Action} by {call.DescribeCaller()} under {source.Name}: {verdict}");
                io.Output.WriteLine($"  {explanation.Summary}");
                foreach (var rule in explanation.Rules)
                {
                    io.Output.WriteLine($"  rule {rule.Id}: {rule.Text}{(rule.Description is null ? "" : $" — {rule.Description}")}");
                }

                foreach (var option in explanation.WouldAllow)
                {
                    io.Output.WriteLine($"  would allow: {option}");
                }

                if (explanation.LogOnly is { } logOnly)
                {
                    io.Output.WriteLine($"  {logOnly}");
                }
            }

            return decision.Outcome switch
            {
                PolicyOutcome.Allow => ExitCodes.Ok,
                PolicyOutcome.RequireApproval => ApprovalRequired,
                _ => DeniedOrFindings,
            };
        });
        return command;
    }

    private static Command Lint(CliIo io)
    {
        var target = TargetArgument();
        var json = new Option<bool>("--json") { Description = "Print the findings as JSON." };
        var store = new StoreOptions();
        var command = new Command("lint", "Find rules that never match, rules shadowed by others and actions no rule covers. Exit 0 clean, 1 findings, 2 bad input.") { target, json };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var (source, exit) = await LoadAsync(parse, target, store, io, ct).ConfigureAwait(false);
            if (source is null)
            {
                return exit;
            }

            var findings = PolicyTools.Lint(source);
            if (parse.GetValue(json))
            {
                io.Output.WriteLine(JsonSerializer.Serialize(new
                {
                    manifest = source.Name,
                    findings = findings.Select(d => new { code = d.Code, severity = d.Severity.ToString().ToLowerInvariant(), message = d.Message, file = d.Location.File, line = d.Location.Line, column = d.Location.Column }),
                }, JsonOptions));
            }
            else
            {
                foreach (var finding in findings)
                {
                    io.Output.WriteLine(finding.ToString());
                }

                io.Output.WriteLine(findings.Count == 0
                    ? $"{source.Name}: policy clean ({source.Load.Manifest!.Policy.Rules.Count} rules)"
                    : $"{source.Name}: {findings.Count} finding{(findings.Count == 1 ? "" : "s")}");
            }

            return findings.Count == 0 ? ExitCodes.Ok : DeniedOrFindings;
        });
        return command;
    }

    /// <summary><c>policy replay</c>: some recorded decision would be decided differently (or cannot be told).</summary>
    public const int DecisionsFlip = 3;

    private static Command Replay(CliIo io)
    {
        var workflow = new Argument<string>("WORKFLOW") { Description = "The workflow whose recorded decisions are decided again." };
        var candidate = new Option<string>("--candidate") { Description = "The candidate manifest YAML file.", Required = true };
        var since = new Option<string?>("--since") { Description = "Only decisions of the last DURATION: 30m, 24h, 7d (default: all)." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var store = new StoreOptions();
        var command = new Command("replay", "Decide the decisions recorded in the ledger again under a candidate manifest and list every one that would flip. Exit 0 nothing flips, 3 something flips or is uncertain, 2 bad input.")
        {
            workflow, candidate, since, json,
        };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            TimeSpan? window = null;
            if (parse.GetValue(since) is { } sinceText)
            {
                if (!PolicyReplay.TryParseSince(sinceText, out var parsed))
                {
                    io.Fail($"--since '{sinceText}' is not a duration.", "Write a number and a unit: 30m, 24h, 7d.");
                    return ExitCodes.InvalidInput;
                }

                window = parsed;
            }

            var file = parse.GetValue(candidate)!;
            var fullPath = Path.GetFullPath(file);
            if (await CliFiles.ReadTextAsync(fullPath, io, ct).ConfigureAwait(false) is not { } yaml)
            {
                return ExitCodes.InvalidInput;
            }

            var folder = Path.GetDirectoryName(fullPath)!;
            var source = PolicyTools.LoadFile(yaml, file, relative => File.Exists(Path.Combine(folder, relative)) || Directory.Exists(Path.Combine(folder, relative)));
            if (source.Load.Manifest is null)
            {
                ManifestCommands.PrintDiagnostics(io, file, source.Load.Diagnostics);
                io.Fail("The candidate manifest has errors; fix them first (skybridge manifest validate).");
                return ExitCodes.InvalidInput;
            }

            await using var opened = await store.OpenAsync(parse, io, ct).ConfigureAwait(false);
            if (opened is null)
            {
                return ExitCodes.Failed;
            }

            var result = await new PolicyReplay(opened, opened, opened, TimeProvider.System).ReplayAsync(parse.GetValue(workflow)!, source, window, ct).ConfigureAwait(false);
            if (result.Status != PolicyReplayStatus.Replayed)
            {
                ManifestCommands.PrintDiagnostics(io, file, result.Diagnostics.Where(d => d.IsError).ToList());
                io.Fail(result.Message ?? result.Status.ToString(), result.Status == PolicyReplayStatus.UnknownWorkflow ? "skybridge manifest list shows the workflows there are." : null);
                return ExitCodes.InvalidInput;
            }

            if (parse.GetValue(json))
            {
                io.Output.WriteLine(PolicyReplay.ToJson(parse.GetValue(workflow)!, file, result).ToJsonString(JsonOptions));
            }
            else
            {
                PrintReplay(io, parse.GetValue(workflow)!, file, result);
            }

            return result.Flipped.Any() || result.Uncertain.Any() ? DecisionsFlip : ExitCodes.Ok;
        });
        return command;
    }

    private static void PrintReplay(CliIo io, string workflowId, string candidate, PolicyReplayResult result)
    {
        var changes = result.Decisions.Where(d => d.Verdict != ReplayVerdict.Unchanged).ToList();
        if (changes.Count > 0)
        {
            // Old above new in each cell, so the table fits a terminal; an uncertain decision says what the ledger lacks.
            var table = new Table()
                .AddColumn("Action")
                .AddColumn(new TableColumn("Outcome").NoWrap())
                .AddColumn(new TableColumn("Disposition").NoWrap())
                .AddColumn("Rules");
            foreach (var d in changes)
            {
                var outcome = $"{PolicyReplay.OutcomeName(d.Recorded.Outcome)}\n-> {PolicyReplay.OutcomeName(d.Outcome)}";
                table.AddRow(
                    Markup.Escape($"{d.Recorded.Action} {d.Recorded.ActionId}\n{d.Recorded.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)}"),
                    d.Verdict == ReplayVerdict.Uncertain ? $"{Markup.Escape(outcome)}\n[yellow]uncertain[/]" : Markup.Escape(outcome),
                    Markup.Escape($"{(d.Recorded.Disposition is { } then ? PolicyReplay.DispositionName(then) : "?")}\n-> {PolicyReplay.DispositionName(d.Disposition)}"),
                    d.Verdict == ReplayVerdict.Uncertain
                        ? Markup.Escape($"{RuleList(d.Recorded.Rules)}\n-> {RuleList(d.Rules)}\n{d.Uncertainty}")
                        : Markup.Escape($"{RuleList(d.Recorded.Rules)}\n-> {RuleList(d.Rules)}"));
            }

            io.Console.Write(table);
        }

        io.Output.WriteLine(
            $"{workflowId} under {candidate}: {result.Decisions.Count} decision(s) re-decided{(result.Since is { } since ? $" since {since.UtcDateTime:yyyy-MM-dd HH:mm} UTC" : "")}, "
            + $"{result.Flipped.Count()} flipped, {result.UnchangedCount} unchanged, {result.Uncertain.Count()} uncertain");
    }

    private static string RuleList(IReadOnlyList<string> rules) => rules.Count == 0 ? "(none)" : string.Join(", ", rules);

    /// <summary>A manifest file (when the argument names a file) or a workflow's active version; null after reporting why not.</summary>
    private static async Task<(PolicySource? Source, int Exit)> LoadAsync(ParseResult parse, Argument<string> target, StoreOptions store, CliIo io, CancellationToken ct)
    {
        var value = parse.GetValue(target)!;
        PolicySource source;
        if (File.Exists(value) || value.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || value.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
        {
            var fullPath = Path.GetFullPath(value);
            if (await CliFiles.ReadTextAsync(fullPath, io, ct).ConfigureAwait(false) is not { } yaml)
            {
                return (null, ExitCodes.InvalidInput);
            }

            var folder = Path.GetDirectoryName(fullPath)!;
            source = PolicyTools.LoadFile(yaml, value, relative => File.Exists(Path.Combine(folder, relative)) || Directory.Exists(Path.Combine(folder, relative)));
        }
        else
        {
            await using var opened = await store.OpenAsync(parse, io, ct).ConfigureAwait(false);
            if (opened is null)
            {
                return (null, ExitCodes.Failed);
            }

            var active = await PolicyTools.LoadActiveAsync(opened, value, ct).ConfigureAwait(false);
            if (active is null)
            {
                io.Fail($"Workflow '{value}' does not exist or has no active version.", "skybridge manifest list shows the workflows there are; pass a manifest file to test one not yet published.");
                return (null, ExitCodes.InvalidInput);
            }

            source = active;
        }

        if (source.Load.Manifest is null)
        {
            ManifestCommands.PrintDiagnostics(io, source.Name, source.Load.Diagnostics);
            io.Fail("The manifest has errors; fix them first (skybridge manifest validate).");
            return (null, ExitCodes.InvalidInput);
        }

        return (source, ExitCodes.Ok);
    }

    private static string Snake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
