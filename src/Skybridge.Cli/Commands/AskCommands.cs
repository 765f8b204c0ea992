using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Core.Manifests;
using Skybridge.Application.Grounding;
using Skybridge.Grounding.Answering;

namespace Skybridge.Cli.Commands;

/// <summary>
/// <c>skybridge ask WORKFLOW "TEXT" [--json]</c>: submits a case and prints the draft. WORKFLOW may be a manifest file,
/// to run without a server: its sources are read from beside it and answered in this process.
/// </summary>
internal static class AskCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create(CliIo io)
    {
        var workflow = new Argument<string>("WORKFLOW") { Description = "A workflow id (asks the server you signed in to), or a manifest file (runs here, no server)." };
        var text = new Argument<string>("TEXT") { Description = "The case: a customer's question or ticket text." };
        var json = new Option<bool>("--json") { Description = "Print the draft as JSON." };
        var command = new Command("ask", "Submit a case and print the draft: an answer citing exact passages, or an abstention with its reason.") { workflow, text, json };
        command.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(workflow)!;
            var question = parse.GetValue(text)!;
            if (string.IsNullOrWhiteSpace(question))
            {
                io.Fail("The case text is empty.");
                return ExitCodes.InvalidInput;
            }

            JsonObject? draft = File.Exists(target) || target.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || target.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
                ? await AskOfflineAsync(io, target, question, ct).ConfigureAwait(false)
                : await SessionCommands.AskServerAsync(io, target, question, ct).ConfigureAwait(false);
            if (draft is null)
            {
                return ExitCodes.Failed;
            }

            Print(io, draft, parse.GetValue(json));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<JsonObject?> AskOfflineAsync(CliIo io, string path, string question, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            io.Fail($"{path} does not exist.");
            return null;
        }

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

        var draft = await ManifestAnswers.AnswerAsync(manifest, folder, question,
            (source, skipped) => io.Error.WriteLine($"skipped {source}/{skipped.Path}: {skipped.Reason}"), ct).ConfigureAwait(false);
        return DraftView.ToJson(draft);
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
    }
}
