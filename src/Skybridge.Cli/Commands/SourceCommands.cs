using System.CommandLine;
using Skybridge.Server.Endpoints;
using Skybridge.Server.Console;
using Skybridge.Application.Grounding;
using Skybridge.Application.Ledger;

namespace Skybridge.Cli.Commands;

/// <summary><c>skybridge sources ingest WORKFLOW --from DIR</c>: reads the active manifest's sources into the store.</summary>
internal static class SourceCommands
{
    public static Command Create(CliIo io, TimeProvider time)
    {
        var sources = new Command("sources", "The data boundary: the documents of each workflow's declared sources.");
        var workflow = new Argument<string>("WORKFLOW") { Description = "Workflow id, e.g. support-desk." };
        var from = new Option<string>("--from") { Description = "The folder the manifest's source paths are relative to (the manifest's folder).", Required = true, HelpName = "DIR" };
        var by = new Option<string?>("--by") { Description = "Who ingests, as recorded in the ledger (default: your OS user name).", HelpName = "NAME" };
        var store = new StoreOptions();
        var ingest = new Command("ingest", "Read every declared source: new document versions are stored (old ones kept), removed ones marked; bad files are listed with their reason.") { workflow, from, by };
        store.AddTo(ingest);
        ingest.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var folder = Path.GetFullPath(parse.GetValue(from)!);
            if (!Directory.Exists(folder))
            {
                io.Fail($"{folder} is not a folder.");
                return ExitCodes.InvalidInput;
            }

            await using var ledger = new LedgerWriter(opened, time, CliApp.NodeId);
            using var grounding = new GroundingService(opened, opened, ledger, time);
            var result = await grounding.IngestAsync(parse.GetValue(workflow)!, folder, parse.GetValue(by) ?? $"{Environment.UserName}@cli", ct).ConfigureAwait(false);
            if (result is not { } report)
            {
                io.Fail($"Workflow '{parse.GetValue(workflow)}' does not exist or has no active version.", "List them with: skybridge manifest list");
                return ExitCodes.InvalidInput;
            }

            foreach (var (source, sync) in report.Synced)
            {
                io.Output.WriteLine($"{source}: {sync.Added} new or changed, {sync.Unchanged} unchanged, {sync.Removed} removed");
            }

            foreach (var (source, file) in report.Skipped)
            {
                io.Output.WriteLine($"  skipped {source}/{file.Path}: {file.Reason}");
            }

            return ExitCodes.Ok;
        }));
        sources.Subcommands.Add(ingest);
        return sources;
    }
}
