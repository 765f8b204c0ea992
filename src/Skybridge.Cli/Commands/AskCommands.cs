using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Core.Manifests;
using Skybridge.Application.Grounding;
using Skybridge.Grounding.Answering;

namespace Skybridge.Cli.Commands;

/// <summary>
/// <c>skybridge ask WORKFLOW "TEXT" [--attr NAME=VALUE]... [--json]</c>: submits a case and prints the draft and the action
/// the workflow's responder proposed for it. WORKFLOW may be a manifest file, to run without a server: its sources are
/// read from beside it and answered in this process (nothing is proposed there: no action runs outside the server).
/// </summary>
internal static class AskCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create(CliIo io)
    {
        var workflow = new Argument<string>("WORKFLOW") { Description = "A workflow id (asks the server you signed in to), or a manifest file (runs here, no server)." };
        var text = new Argument<string>("TEXT") { Description = "The case: a customer's question or ticket text." };
        var json = new Option<bool>("--json") { Description = "Print the draft as JSON." };
        var attrs = new Option<string[]>("--attr") { Description = "An attribute of the case, NAME=VALUE (e.g. ticket_id=RT-000123); repeatable. The responder fills the action it proposes from them.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("ask", "Submit a case and print the draft (an answer citing exact passages, or an abstention with its reason) and the action proposed for it.") { workflow, text, json, attrs, CliSkippedFiles.ShowAll };
        command.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(workflow)!;
            var question = parse.GetValue(text)!;
            if (string.IsNullOrWhiteSpace(question))
            {
                io.Fail("The case text is empty.");
                return ExitCodes.InvalidInput;
            }

            var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in parse.GetValue(attrs) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0 || !attributes.TryAdd(pair[..equals], pair[(equals + 1)..]))
                {
                    io.Fail($"--attr {pair}: write NAME=VALUE, each name once.");
                    return ExitCodes.InvalidInput;
                }
            }

            // The node's limits, here too: a case too long for the node is refused the same way on a manifest file.
            if ((Skybridge.Application.Cases.CaseSubmission.TextProblem(question) ?? Skybridge.Application.Cases.CaseSubmission.AttributeProblem(attributes)) is { } problem)
            {
                io.Fail(problem);
                return ExitCodes.InvalidInput;
            }

            JsonObject? draft = File.Exists(target) || target.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || target.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
                ? await AskOfflineAsync(io, target, question, CliEmbeddings.ForFiles(io, parse), new CliSkippedFiles(io.Error, parse.GetValue(CliSkippedFiles.ShowAll)), ct).ConfigureAwait(false)
                : await SessionCommands.AskServerAsync(io, target, question, ct, attributes).ConfigureAwait(false);
            if (draft is null)
            {
                return ExitCodes.Failed;
            }

            Print(io, draft, parse.GetValue(json));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<JsonObject?> AskOfflineAsync(CliIo io, string path, string question, Grounding.Retrieval.Embeddings.DenseRetrieval? dense, CliSkippedFiles skipped, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            io.Fail($"{path} does not exist.");
            return null;
        }

        var profile = CliProfile.FromEnvironment(io);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        var loaded = ManifestLoader.Load(await File.ReadAllTextAsync(full, ct).ConfigureAwait(false), path,
            new ManifestValidationContext { FileExists = p => File.Exists(Path.Combine(folder, p)), EvidencedLevel = AutonomyLevel.L2ApproveConsequential });
        if (loaded.Manifest is not { } manifest)
        {
            foreach (var d in loaded.Diagnostics.Where(d => d.IsError))
            {
                io.Error.WriteLine(d.ToString());
            }

            io.Fail($"{path} is not a valid manifest.", "See: skybridge manifest validate " + path);
            return null;
        }

        profile?.Done("read the manifest");
        if (dense is not null)
        {
            // The model loads on the other core while the documents and their index are read (about 0.3 s each): the
            // question's embedding, which needs it, comes after both. A model that fails to load is reported by the
            // answer's own embedding, once, and retrieval goes on by words.
            _ = Task.Run(() =>
            {
                try
                {
                    _ = dense.Embedder.Embed(["warm-up"], ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                }
            }, ct);
        }

        var draft = await ManifestAnswers.AnswerAsync(manifest, folder, question, skipped.Add, ct, dense, profile is null ? null : profile.Done,
            // Beside the vectors: the read documents and their words index, reused while the files are unchanged.
            Path.Combine(Path.GetDirectoryName(CliEmbeddings.CacheFolder(io))!, "indexes")).ConfigureAwait(false);
        skipped.Flush();
        var view = DraftView.ToJson(draft);
        // Here, with no ledger to read the retrieval from, the passages it found are part of the draft: the first thing
        // to look at when an answer is wrong or a case is handed over.
        view["retrieved"] = new JsonArray([.. draft.Retrieved.Select(p => (JsonNode)new JsonObject
        {
            ["source"] = p.Source, ["document"] = p.Document, ["start"] = p.Start, ["end"] = p.End, ["score"] = p.Score, ["coverage"] = p.Coverage,
        })]);
        profile?.Done("draft view");
        return view;
    }

    private static void Print(CliIo io, JsonObject draft, bool json)
    {
        if (json)
        {
            io.Output.WriteLine(draft.ToJsonString(Indented));
            return;
        }

        if ((bool?)draft["abstained"] == true)
        {
            io.Output.WriteLine($"Abstained ({draft["reason"]}): {draft["reasonDetail"]}");
            io.Output.WriteLine("The case goes to a person.");
            PrintProposal(io, draft["proposal"]);
            return;
        }

        io.Output.WriteLine((string?)draft["answer"]);
        io.Output.WriteLine();
        var n = 0;
        foreach (var c in draft["citations"]!.AsArray())
        {
            io.Output.WriteLine($"[{++n}] {c!["document"]} (version {((string?)c["version"])?[..12]}, characters {c["start"]}-{c["end"]}): \"{c["quote"]}\"");
        }

        io.Output.WriteLine($"confidence {draft["confidence"]}, citation coverage {draft["citationCoverage"]}, engine {draft["engine"]}");
        PrintProposal(io, draft["proposal"]);
    }

    /// <summary>The responder's proposal in one line: the action, its state, and what to do next.</summary>
    private static void PrintProposal(CliIo io, JsonNode? proposal)
    {
        if (proposal is null)
        {
            return;
        }

        var action = (string?)proposal["action"];
        var line = (string?)proposal["status"] switch
        {
            "not_proposed" => $"Proposed nothing ({proposal["code"]}): {proposal["message"]}",
            "pending_approval" => $"Proposed {action}: waiting for approval {proposal["approvalId"]} by a person the manifest names.",
            "denied" => $"Proposed {action}: denied ({proposal["detail"]?["code"]}): {proposal["detail"]?["summary"]}",
            "recorded" => $"Proposed {action}: recorded only (the workflow drafts; a person does the work).",
            var status => $"Proposed {action}: {status} ({proposal["actionId"]}).",
        };
        io.Output.WriteLine(line);
    }
}
