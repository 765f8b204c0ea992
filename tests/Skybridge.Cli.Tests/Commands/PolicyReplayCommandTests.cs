using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Application.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Cli.Tests.Commands;

/// <summary><c>skybridge policy replay</c>: the table of flips, the totals, the exit codes a pipeline can gate on.</summary>
public sealed class PolicyReplayCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A data folder with the sample published and active, and two refund decisions in its ledger (20 and 40 EUR, both allowed).</summary>
    private static async Task<string> DataWithDecisionsAsync()
    {
        var data = CliRun.NewDataFolder();
        var publish = await CliRun.RunAsync("manifest", "publish", CliRun.SampleManifest, "--data", data, "--activate", "--override-reason", CliRun.FixtureOverride, "--by", "maria.lopez");
        Assert.True(publish.ExitCode == 0, publish.Output + publish.Error);

        await using var store = SkybridgeStores.OpenSqlite(data);
        await using var ledger = new LedgerWriter(store, TimeProvider.System, "test-node");
        foreach (var (id, amount) in new[] { ("act-20", 20), ("act-40", 40) })
        {
            // What the action path records for an allowed refund: the proposal with its testable values, then the decision.
            var proposed = new LedgerEntry
            {
                Type = LedgerEventTypes.ActionProposed,
                Actors = [LedgerActor.Agent("support-desk/responder")],
                WorkflowId = "support-desk",
                WorkflowVersion = 1,
                CaseId = "case-1",
                Resource = new LedgerResource("action", id),
                Outcome = "proposed",
                Content = new JsonObject { ["action"] = "refund", ["role"] = "responder", ["values"] = new JsonObject { ["amount"] = amount, ["currency"] = "EUR", ["order_id"] = "SO-000001" } },
            };
            await ledger.AppendAsync(proposed, Ct);
            await ledger.AppendAsync(proposed with
            {
                Id = LedgerEntry.NewId(),
                Type = LedgerEventTypes.PolicyDecided,
                Outcome = "allow",
                Rules = ["refund-small"],
                Content = new JsonObject { ["disposition"] = "recordproposal" },
            }, Ct);
        }

        return data;
    }

    /// <summary>A copy of the sample folder whose manifest has <paramref name="edit"/> applied.</summary>
    internal static async Task<string> CandidateAsync(Func<string, string> edit)
    {
        var folder = Path.Combine(CliRun.NewDataFolder(), "candidate");
        Directory.CreateDirectory(folder);
        var sampleFolder = Path.GetDirectoryName(CliRun.SampleManifest)!;
        foreach (var file in Directory.GetFiles(sampleFolder))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.GetDirectories(sampleFolder))
        {
            Directory.CreateDirectory(Path.Combine(folder, Path.GetFileName(dir)));
        }

        var manifest = Path.Combine(folder, "manifest.yaml");
        await File.WriteAllTextAsync(manifest, edit(await File.ReadAllTextAsync(manifest, Ct)), Ct);
        return manifest;
    }

    private static string LowerThreshold(string yaml) => yaml
        .Replace("{ amount: { lte: 50 } }", "{ amount: { lte: 30 } }", StringComparison.Ordinal)
        .Replace("{ amount: { gt: 50 } }", "{ amount: { gt: 30 } }", StringComparison.Ordinal);

    [Fact]
    public async Task Replay_LowerThreshold_ListsTheFlip_AndExitsThree()
    {
        var data = await DataWithDecisionsAsync();
        var candidate = await CandidateAsync(LowerThreshold);

        var run = await CliRun.RunAsync("policy", "replay", "support-desk", "--candidate", candidate, "--data", data);

        Assert.True(run.ExitCode == 3, run.Output + run.Error);
        Assert.Contains("act-40", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("act-20", run.Output, StringComparison.Ordinal);
        // Old above new in each cell: allow, then -> require_approval; refund-small, then -> refund-large.
        Assert.True(run.Output.Contains("-> require_approval", StringComparison.Ordinal), run.Output);
        Assert.Contains("allow", run.Output, StringComparison.Ordinal);
        Assert.Contains("refund-small", run.Output, StringComparison.Ordinal);
        Assert.Contains("-> refund-large", run.Output, StringComparison.Ordinal);
        Assert.Contains("2 decision(s) re-decided, 1 flipped, 1 unchanged, 0 uncertain", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_LowerThreshold_Json_GivesOldAndNewOfEachFlip()
    {
        var data = await DataWithDecisionsAsync();
        var candidate = await CandidateAsync(LowerThreshold);

        var run = await CliRun.RunAsync("policy", "replay", "support-desk", "--candidate", candidate, "--data", data, "--json");

        Assert.True(run.ExitCode == 3, run.Output + run.Error);
        using var doc = JsonDocument.Parse(run.Output);
        var change = Assert.Single(doc.RootElement.GetProperty("changes").EnumerateArray());
        Assert.Equal("flipped", change.GetProperty("verdict").GetString());
        Assert.Equal("act-40", change.GetProperty("action_id").GetString());
        Assert.Equal(("allow", "require_approval"), (change.GetProperty("old_outcome").GetString(), change.GetProperty("new_outcome").GetString()));
        Assert.Equal("refund-small", change.GetProperty("old_rules")[0].GetString());
        Assert.Equal("refund-large", change.GetProperty("new_rules")[0].GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("totals").GetProperty("flipped").GetInt32());
    }

    [Fact]
    public async Task Replay_UnchangedPolicy_ExitsZero_AndJsonGivesTheTotals()
    {
        var data = await DataWithDecisionsAsync();

        var run = await CliRun.RunAsync("policy", "replay", "support-desk", "--candidate", CliRun.SampleManifest, "--data", data, "--json");

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        using var doc = JsonDocument.Parse(run.Output);
        Assert.Equal(2, doc.RootElement.GetProperty("totals").GetProperty("redecided").GetInt32());
        Assert.Equal(0, doc.RootElement.GetProperty("totals").GetProperty("flipped").GetInt32());
        Assert.Equal(0, doc.RootElement.GetProperty("changes").GetArrayLength());
    }

    [Fact]
    public async Task Replay_SinceLastWeek_IncludesTodaysDecisions_AndSaysFromWhen()
    {
        var data = await DataWithDecisionsAsync();
        var candidate = await CandidateAsync(LowerThreshold);

        var lastWeek = await CliRun.RunAsync("policy", "replay", "support-desk", "--candidate", candidate, "--data", data, "--since", "7d");

        Assert.True(lastWeek.ExitCode == 3, lastWeek.Output + lastWeek.Error);
        Assert.Contains("2 decision(s) re-decided since", lastWeek.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_BadCandidate_NamesEachProblemWithLineAndColumn_AndExitsTwo()
    {
        var data = await DataWithDecisionsAsync();
        var candidate = await CandidateAsync(yaml => LowerThreshold(yaml).Replace("      effect: permit\n      principals: [role:responder]\n      actions: [refund]\n      when: { amount: { lte: 30 } }",
            "      effect: allow\n      principals: [role:responder]\n      actions: [refund]\n      when: { amount: { lte: 30 } }", StringComparison.Ordinal));
        var text = await File.ReadAllTextAsync(candidate, Ct);
        var line = 1 + text[..text.IndexOf("effect: allow", StringComparison.Ordinal)].Count(c => c == '\n');

        var run = await CliRun.RunAsync("policy", "replay", "support-desk", "--candidate", candidate, "--data", data);

        Assert.True(run.ExitCode == 2, run.Output + run.Error);
        Assert.Contains($"{candidate}:{line}:15: error SB1006", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_UnknownWorkflowOrBadSince_ExitsTwo()
    {
        var data = await DataWithDecisionsAsync();

        var unknown = await CliRun.RunAsync("policy", "replay", "no-such-desk", "--candidate", CliRun.SampleManifest, "--data", data);
        var since = await CliRun.RunAsync("policy", "replay", "support-desk", "--candidate", CliRun.SampleManifest, "--data", data, "--since", "a week");

        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("Workflow 'no-such-desk' does not exist", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(2, since.ExitCode);
        Assert.Contains("--since 'a week' is not a duration", since.Error, StringComparison.Ordinal);
    }
}
