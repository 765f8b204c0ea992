using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Cli.Tests.Commands;

/// <summary><c>skybridge eval calibrate</c> on a copy of the sample with a small golden set and bars written here.</summary>
public sealed partial class EvalCalibrateCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("skybridge-calibrate-cli-").FullName;

    public EvalCalibrateCommandTests()
    {
        CliRun.CopySample(_folder);
    }

    private readonly string _data = CliRun.NewDataFolder();

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [GeneratedRegex(@"Stored as evidence: (cal-[0-9a-f]{16})")]
    private static partial Regex StoredSweep();

    private string Manifest => Path.Combine(_folder, "manifest.yaml");

    /// <summary>Two answerable double-charge tickets and a question no article answers.</summary>
    private const string GoldenSet = """
        version: 1
        cases:
          - id: charge-1
            input: You charged me twice for the same pair of gaiters (order SO-487550, 34.90 EUR each time). Please refund the second charge.
            attributes: { ticket_id: RT-1 }
            expect: { outcome: answer, facts: ["not a real double charge"], cite: [billing/duplicate-charges.md] }
            tags: [routine]
            agreed_by: user:maria.lopez
            agreed_on: 2026-09-07
          - id: charge-2
            input: I was charged two times for order SO-487551, 34.90 EUR twice. Refund the double charge please.
            attributes: { ticket_id: RT-2 }
            expect: { outcome: answer, facts: ["not a real double charge"], cite: [billing/duplicate-charges.md] }
            tags: [routine]
            agreed_by: user:maria.lopez
            agreed_on: 2026-09-07
          - id: weather
            input: What will the weather be like in Lisbon tomorrow afternoon?
            attributes: { ticket_id: RT-4 }
            expect: { outcome: abstain }
            tags: [out-of-scope]
            agreed_by: user:maria.lopez
            agreed_on: 2026-09-07
        """;

    private const string ClearableBar = """
          - { metric: abstention_recall, min: 0.2, min_cases: 1 }
          - { metric: false_abstention_rate, max: 0.85, min_cases: 1 }
        """;

    private void Write(string goldenSet, string bar)
    {
        File.WriteAllText(Path.Combine(_folder, "golden-set.yaml"), goldenSet);
        var yaml = File.ReadAllText(Manifest);
        var start = yaml.IndexOf("acceptance_bar:", StringComparison.Ordinal);
        var end = yaml.IndexOf("golden_set:", StringComparison.Ordinal);
        // The manifest's own threshold is kept off the tests' grids (0.35), so a sweep must add it as a row of its own.
        yaml = yaml.Replace("abstain_below: 0.30", "abstain_below: 0.35", StringComparison.Ordinal);
        File.WriteAllText(Manifest, CliRun.PinGoldenSet(yaml[..start] + "acceptance_bar:\n" + bar + "\n" + yaml[end..], goldenSet));
    }

    [Fact]
    public async Task Calibrate_SomeSettingClears_ExitsZero_ATableRowPerSetting_CurrentMarked_AndTheRecommendationNamed()
    {
        Write(GoldenSet, ClearableBar);

        var run = await CliRun.RunAsync("eval", "calibrate", Manifest, "--abstain-below", "0.1:0.9:0.2", "--top-k", "3,5");

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        // 2 x 5 settings and the manifest's own (top_k 5, abstain_below 0.35), starred.
        Assert.Contains("11 settings over 3 cases from 6 drafts", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^5\s+0\.35 \*", run.Output);
        Assert.Matches(@"Recommended: top_k \d, abstain_below 0\.\d\d clears the bar with the highest accuracy", run.Output);
    }

    [Fact]
    public async Task Calibrate_SweepsKeyTermsMissingAt_DraftingEachValue_AndNamesItInTheRecommendation()
    {
        Write(GoldenSet, ClearableBar);

        var run = await CliRun.RunAsync("eval", "calibrate", Manifest, "--abstain-below", "0.1,0.5", "--key-terms-missing-at", "0.2,1");

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        // (2 thresholds + the manifest's 0.35) x (0.2, 1 + the manifest's 0.5); one draft per case and value.
        Assert.Contains("9 settings over 3 cases from 9 drafts", run.Output, StringComparison.Ordinal);
        Assert.Contains("k = key_terms_missing_at", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"Recommended: top_k \d, abstain_below 0\.\d\d, key_terms_missing_at \d\.\d\d clears the bar", run.Output);
    }

    [Fact]
    public async Task Calibrate_BadMentionedBelowAndMeaningFarBelow_ExitsTwo_NamingBoth_BeforeDrafting()
    {
        Write(GoldenSet, ClearableBar);

        var run = await CliRun.RunAsync("eval", "calibrate", Manifest, "--mentioned-below", "lots", "--meaning-far-below", "0.5:0.1:0.1");

        Assert.True(run.ExitCode == 2, run.Output + run.Error);
        Assert.Contains("--mentioned-below, --meaning-far-below: not a range", run.Error + run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calibrate_SweepsMeaningFarBelow_AndNamesItInTheTable()
    {
        Write(GoldenSet, ClearableBar);

        var run = await CliRun.RunAsync("eval", "calibrate", Manifest, "--abstain-below", "0.1", "--meaning-far-below", "0.99");

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        // (0.1 + the manifest's 0.35) x (0.99 + the manifest's 0.3).
        Assert.Contains("4 settings over 3 cases from 6 drafts", run.Output, StringComparison.Ordinal);
        Assert.Contains("f = meaning_far_below", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^5 f0\.99\s+0\.10\s+0\.00", run.Output);
    }

    [Fact]
    public async Task Calibrate_WithAStore_StoresTheSweepWithItsEvent_AndPrintsItsId()
    {
        Write(GoldenSet, ClearableBar);

        var run = await CliRun.RunAsync("eval", "calibrate", Manifest, "--abstain-below", "0.1,0.5", "--top-k", "3,5", "--data", _data, "--by", "maria@cli");

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        var id = StoredSweep().Match(run.Output).Groups[1].Value;
        Assert.NotEmpty(id);
        await using var store = SkybridgeStores.OpenSqlite(_data);
        var stored = await store.GetCalibrationAsync(id, TestContext.Current.CancellationToken);
        Assert.NotNull(stored);
        Assert.Equal("support-desk", stored.WorkflowId);
        Assert.Null(stored.Version);
        Assert.Equal("maria@cli", stored.RunBy);
        Assert.True(stored.Clears);
        Assert.Equal(5, JsonNode.Parse(stored.Rows)!.AsArray().Count); // 2 top_k x 2 thresholds, and the manifest's own setting
        Assert.NotNull(JsonNode.Parse(stored.Recommendation)!["recommended"]);
        // The event names the sweep and carries hashes, never a golden case's text.
        var events = await store.ReadLedgerEventsAsync(0, 1000, TestContext.Current.CancellationToken);
        var calibrated = Assert.Single(events, e => e.Type == LedgerEventTypes.EvaluationCalibrated);
        Assert.Contains(id, calibrated.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("gaiters", calibrated.Body, StringComparison.Ordinal);
        Assert.Equal([id], (await store.ListCalibrationsAsync("support-desk", TestContext.Current.CancellationToken)).Select(c => c.Id));
    }

    [Fact]
    public async Task Calibrate_AManifestFileWithoutAStore_SaysItWasNotStored()
    {
        Write(GoldenSet, ClearableBar);

        var run = await CliRun.RunAsync("eval", "calibrate", Manifest, "--abstain-below", "0.1,0.5");

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.Contains("The sweep was not stored", run.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_data));
    }

    [Fact]
    public async Task Calibrate_NoSettingClears_ExitsOne_AndSaysWhatTheClosestFails()
    {
        Write(GoldenSet, """
              - { metric: answer_accuracy, min: 0.99, min_cases: 1 }
            """);

        var run = await CliRun.RunAsync("eval", "calibrate", Manifest, "--abstain-below", "0.1,0.3,0.5");

        Assert.True(run.ExitCode == 1, run.Output + run.Error);
        Assert.Contains("No setting clears the bar; the closest is top_k 5", run.Output, StringComparison.Ordinal);
        Assert.Contains("answer_accuracy failed", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calibrate_Json_HasEveryRowWithIntervals_AndTheRecommendation()
    {
        Write(GoldenSet, ClearableBar);
        // Nothing passes the word threshold by meaning (retrieval.agreed_meaning_at), so 0.9 hands everything over.
        File.WriteAllText(Manifest, File.ReadAllText(Manifest).Replace("  abstain_below: 0.35", "  abstain_below: 0.35\n  agreed_meaning_at: 1", StringComparison.Ordinal));

        var run = await CliRun.RunAsync("eval", "calibrate", Manifest, "--abstain-below", "0.1,0.3,0.9", "--json");

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        var json = JsonNode.Parse(run.Output)!;
        var rows = json["rows"]!.AsArray();
        Assert.Equal(4, rows.Count);
        Assert.Single(rows, r => (bool)r!["current"]!);
        var recall = rows[0]!["metrics"]!["abstention_recall"]!;
        Assert.NotNull((double?)recall["lower"]);
        Assert.NotNull((double?)recall["upper"]);
        var recommended = json["recommended"]!;
        Assert.Contains(rows, r => (bool)r!["clears"]! && (int)r["topK"]! == (int)recommended["topK"]! && (double)r["abstainBelow"]! == (double)recommended["abstainBelow"]!);
        // A threshold above every case's confidence hands everything over: false abstention is certain, the bar fails.
        Assert.False((bool)rows.Single(r => (double)r!["abstainBelow"]! == 0.9)!["clears"]!);
    }

    [Fact]
    public async Task Calibrate_BadInput_ExitsTwo_ListsTheProblem_AndSweepsNothing()
    {
        Write(GoldenSet.Replace("charge-2", "charge-1", StringComparison.Ordinal), ClearableBar);

        var duplicate = await CliRun.RunAsync("eval", "calibrate", Manifest);
        Assert.Equal(2, duplicate.ExitCode);
        Assert.Matches(@"golden-set\.yaml:\d+:\d+: error SB1602", duplicate.Error);
        Assert.Contains("The calibration did not start: 1 problem", duplicate.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("settings over", duplicate.Output, StringComparison.Ordinal);

        Write(GoldenSet, ClearableBar);
        var range = await CliRun.RunAsync("eval", "calibrate", Manifest, "--abstain-below", "0.9:0.1:0.05");
        Assert.Equal(2, range.ExitCode);
        Assert.Contains("--abstain-below", range.Error, StringComparison.Ordinal);

        var topK = await CliRun.RunAsync("eval", "calibrate", Manifest, "--top-k", "0,5");
        Assert.Equal(2, topK.ExitCode);
        Assert.Contains("--top-k", topK.Error, StringComparison.Ordinal);
    }
}
