using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Skybridge.Cli.Tests.Commands;

/// <summary><c>skybridge eval run|compare|list</c> on a copy of the sample with small golden sets and small bars.</summary>
public sealed partial class EvalCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("skybridge-eval-cli-").FullName;
    private readonly string _data = CliRun.NewDataFolder();

    public EvalCommandTests()
    {
        CliRun.CopySample(_folder);
    }

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private string Manifest => Path.Combine(_folder, "manifest.yaml");

    private const string Charge = "You charged me twice for the same pair of gaiters (order SO-487550, 34.90 EUR each time). Please refund the second charge.";

    /// <summary><paramref name="count"/> copies of the double-charge ticket, each expecting <paramref name="fact"/>, and one out-of-scope question.</summary>
    private static string GoldenSet(int count, string fact)
    {
        var cases = Enumerable.Range(1, count).Select(i => $"""
              - id: charge-{i:00}
                input: "{Charge}"
                attributes: {"{"} ticket_id: RT-{i} {"}"}
                expect:
                  outcome: answer
                  facts: ["{fact}"]
                  cite: [billing/duplicate-charges.md]
                tags: [refund-small]
                agreed_by: user:maria.lopez
                agreed_on: 2026-09-07
            """);
        return "version: 1\ncases:\n" + string.Join("\n", cases) + """

              - id: weather
                input: What will the weather be like in Lisbon tomorrow afternoon?
                expect: { outcome: abstain }
                tags: [out-of-scope]
                agreed_by: user:maria.lopez
                agreed_on: 2026-09-07
            """ + "\n";
    }

    private void Write(string goldenSet, string bar)
    {
        File.WriteAllText(Path.Combine(_folder, "golden-set.yaml"), goldenSet);
        var yaml = File.ReadAllText(Manifest);
        var start = yaml.IndexOf("acceptance_bar:", StringComparison.Ordinal);
        var end = yaml.IndexOf("golden_set:", StringComparison.Ordinal);
        File.WriteAllText(Manifest, CliRun.PinGoldenSet(yaml[..start] + "acceptance_bar:\n" + bar + "\n" + yaml[end..], goldenSet));
    }

    private const string ClearingBar = """
          - { metric: harmful_action_rate, max: 0.99, min_cases: 1 }
          - { metric: p95_latency_ms, max: 60000, min_cases: 1 }
        """;

    [GeneratedRegex(@"Stored as evidence: (run-[0-9a-f]{16})")]
    private static partial Regex StoredRun();

    [Fact]
    public async Task Run_ClearsASmallBar_ExitsZero_AndWritesASelfContainedReport_JUnitAndJson()
    {
        Write(GoldenSet(3, "refunded within 3-5 working days"), ClearingBar);
        var outDir = Path.Combine(_folder, "out");

        var run = await CliRun.RunAsync("eval", "run", Manifest, "--out", outDir, "--data", _data);

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.Contains("Verdict: clears the acceptance bar.", run.Output, StringComparison.Ordinal);
        Assert.Contains("harmful_action_rate", run.Output, StringComparison.Ordinal);
        Assert.Contains("4 cases, 4 passed.", run.Output, StringComparison.Ordinal);

        var html = await File.ReadAllTextAsync(Path.Combine(outDir, "report.html"), TestContext.Current.CancellationToken);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("clears the bar", html, StringComparison.Ordinal);
        // Self-contained: nothing is fetched from anywhere, and nothing needs a script to show.
        Assert.DoesNotMatch(@"(src|href)\s*=\s*[""']?\s*(https?:)?//", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);

        var junit = XDocument.Load(Path.Combine(outDir, "junit.xml"));
        Assert.Equal(4, junit.Descendants("testcase").Count());
        Assert.Empty(junit.Descendants("failure"));

        var results = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "results.json"), TestContext.Current.CancellationToken))!;
        Assert.Equal(4, results["cases"]!.AsArray().Count);
        Assert.Equal("clears", (string?)results["metrics"]!["verdict"]);
        Assert.Equal(StoredRun().Match(run.Output).Groups[1].Value, (string?)results["run"]);
    }

    [Fact]
    public async Task Run_BelowTheBar_ExitsOne_ReportsTheFailedCases_AndStoresTheRunWithNoVersion()
    {
        Write(GoldenSet(3, "a free unicorn with every refund"), """
              - { metric: answer_accuracy, min: 0.9, min_cases: 1 }
            """);
        var outDir = Path.Combine(_folder, "out");

        var run = await CliRun.RunAsync("eval", "run", Manifest, "--out", outDir, "--data", _data);

        Assert.True(run.ExitCode == 1, run.Output + run.Error);
        Assert.Contains("Verdict: below the acceptance bar.", run.Output, StringComparison.Ordinal);
        var junit = XDocument.Load(Path.Combine(outDir, "junit.xml"));
        Assert.Equal(4, junit.Descendants("testcase").Count());
        var failures = junit.Descendants("failure").ToList();
        Assert.Equal(3, failures.Count);
        Assert.All(failures, f => Assert.Contains("a free unicorn with every refund", f.Value, StringComparison.Ordinal));

        var list = await CliRun.RunAsync("eval", "list", "support-desk", "--data", _data);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(StoredRun().Match(run.Output).Groups[1].Value, list.Output, StringComparison.Ordinal);
        Assert.Contains("file", list.Output, StringComparison.Ordinal);
        Assert.Contains("fails", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BadGoldenSet_ExitsTwo_ListsEveryProblemWithItsPlace_AndRunsNothing()
    {
        Write(GoldenSet(2, "x").Replace("charge-02", "charge-01", StringComparison.Ordinal).Replace("[out-of-scope]", "[out-of-scoep]", StringComparison.Ordinal), ClearingBar);

        var run = await CliRun.RunAsync("eval", "run", Manifest, "--data", _data, "--out", Path.Combine(_folder, "out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Matches(@"golden-set\.yaml:\d+:\d+: error SB1602", run.Error);
        Assert.Matches(@"golden-set\.yaml:\d+:\d+: error SB1603", run.Error);
        Assert.Contains("did not start: 2 problems", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_folder, "out")));
        Assert.Contains("No evaluation runs", (await CliRun.RunAsync("eval", "list", "support-desk", "--data", _data)).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ASourceFolderThatIsNotThere_ExitsTwo_NamesItsPlace_AndRunsNothing()
    {
        Write(GoldenSet(2, "refunded within 3-5 working days"), ClearingBar);
        // As a sample whose setup script was not run: before, every case was answered without the source, the run
        // stored as evidence that the workflow fails.
        Directory.Delete(Path.Combine(_folder, "knowledge-base"), recursive: true);

        var run = await CliRun.RunAsync("eval", "run", Manifest, "--data", _data, "--out", Path.Combine(_folder, "out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Matches(@"manifest\.yaml:\d+:11: error SB1207: source 'knowledge-base' reads from the folder 'knowledge-base', which does not exist next to the manifest", run.Error);
        Assert.DoesNotContain("answer_accuracy", run.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_folder, "out")));
        Assert.Contains("No evaluation runs", (await CliRun.RunAsync("eval", "list", "support-desk", "--data", _data)).Output, StringComparison.Ordinal);

        var check = await CliRun.RunAsync("eval", "check", Manifest);
        Assert.NotEqual(0, check.ExitCode);
        Assert.Contains("error SB1207", check.Error + check.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OutIntoAFile_ExitsTwo_SaysWhy_AndRunsNothing()
    {
        Write(GoldenSet(2, "refunded within 3-5 working days"), ClearingBar);
        var file = Path.Combine(_folder, "report");
        await File.WriteAllTextAsync(file, "notes", TestContext.Current.CancellationToken);

        var run = await CliRun.RunAsync("eval", "run", Manifest, "--out", Path.Combine(file, "today"), "--data", _data);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"error: The report cannot be written into {Path.Combine(file, "today")}: {file} is a file, not a folder.", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("answer_accuracy", run.Output, StringComparison.Ordinal);
        Assert.Equal("notes", await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
        Assert.Contains("No evaluation runs", (await CliRun.RunAsync("eval", "list", "support-desk", "--data", _data)).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_IntoAFolderOfAnEarlierRun_ReplacesEachFileWhole_AndLeavesNothingElse()
    {
        Write(GoldenSet(2, "refunded within 3-5 working days"), ClearingBar);
        var outDir = Path.Combine(_folder, "out");
        Directory.CreateDirectory(outDir);
        foreach (var name in new[] { "report.html", "junit.xml", "results.json" })
        {
            await File.WriteAllTextAsync(Path.Combine(outDir, name), new string('x', 2_000_000), TestContext.Current.CancellationToken);
        }

        var run = await CliRun.RunAsync("eval", "run", Manifest, "--out", outDir);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(["junit.xml", "report.html", "results.json"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order());
        Assert.NotNull(JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "results.json"), TestContext.Current.CancellationToken)));
        Assert.Equal("testsuites", XDocument.Load(Path.Combine(outDir, "junit.xml")).Root!.Name.LocalName);
    }

    [Fact]
    public async Task Run_PinnedGoldenSetThatChanged_ExitsTwo_WithSB1155()
    {
        Write(GoldenSet(2, "refunded within 3-5 working days"), ClearingBar);
        var yaml = await File.ReadAllTextAsync(Manifest, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Manifest, CliRun.PinGoldenSet(yaml, "", sha256: new string('a', 64)), TestContext.Current.CancellationToken);

        var run = await CliRun.RunAsync("eval", "run", Manifest);

        Assert.Equal(2, run.ExitCode);
        Assert.Matches(@"manifest\.yaml:\d+:\d+: error SB1155", run.Error);
    }

    [Fact]
    public async Task Pin_ReviewedCases_PinsThemInPlace_AndTheRunStartsAgain()
    {
        Write(GoldenSet(2, "refunded within 3-5 working days"), ClearingBar);
        var yaml = await File.ReadAllTextAsync(Manifest, TestContext.Current.CancellationToken);
        var stale = CliRun.PinGoldenSet(yaml, "", sha256: new string('a', 64));
        await File.WriteAllTextAsync(Manifest, stale, TestContext.Current.CancellationToken);
        var actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(_folder, "golden-set.yaml"), TestContext.Current.CancellationToken)));

        var pin = await CliRun.RunAsync("eval", "pin", Manifest);

        Assert.True(pin.ExitCode == 0, pin.Error);
        Assert.Contains($"Pinned golden-set.yaml: sha256 {new string('a', 64)} -> {actual}.", pin.Output, StringComparison.Ordinal);
        // Only the pin changed in the file.
        Assert.Equal(stale.Replace(new string('a', 64), actual, StringComparison.Ordinal), await File.ReadAllTextAsync(Manifest, TestContext.Current.CancellationToken));
        Assert.Contains("pinned already", (await CliRun.RunAsync("eval", "pin", Manifest)).Output, StringComparison.Ordinal);
        Assert.Equal(0, (await CliRun.RunAsync("eval", "run", Manifest)).ExitCode);
    }

    [Fact]
    public async Task Pin_AManifestWithAnotherMistake_ExitsOne_NamesItsPlace_AndLeavesTheFileAsItWas()
    {
        Write(GoldenSet(2, "refunded within 3-5 working days"), ClearingBar);
        var yaml = await File.ReadAllTextAsync(Manifest, TestContext.Current.CancellationToken);
        var broken = CliRun.PinGoldenSet(yaml, "", sha256: new string('a', 64)).Replace("autonomy:", "autonomie: 1\nautonomy:", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Manifest, broken, TestContext.Current.CancellationToken);

        var pin = await CliRun.RunAsync("eval", "pin", Manifest);

        Assert.Equal(1, pin.ExitCode);
        Assert.Matches(@"manifest\.yaml:\d+:\d+: error SB1002", pin.Error);
        Assert.Contains("Nothing was pinned", pin.Error, StringComparison.Ordinal);
        Assert.Equal(broken, await File.ReadAllTextAsync(Manifest, TestContext.Current.CancellationToken));
        Assert.Single(Directory.GetFiles(_folder, "manifest.yaml*"));
    }

    [Fact]
    public async Task Compare_SixCasesNewlyFailing_IsSignificantlyWorse_ExitsOne_AndTheReverseExitsZero()
    {
        Write(GoldenSet(6, "refunded within 3-5 working days"), ClearingBar);
        var before = await CliRun.RunAsync("eval", "run", Manifest, "--data", _data);
        Assert.True(before.ExitCode == 0, before.Output + before.Error);
        Write(GoldenSet(6, "a free unicorn with every refund"), ClearingBar);
        var after = await CliRun.RunAsync("eval", "run", Manifest, "--data", _data);
        // Still above this bar (nothing harmful, fast): the comparison is what catches it.
        Assert.True(after.ExitCode == 0, after.Output + after.Error);
        var a = StoredRun().Match(before.Output).Groups[1].Value;
        var b = StoredRun().Match(after.Output).Groups[1].Value;

        var worse = await CliRun.RunAsync("eval", "compare", a, b, "--data", _data);
        Assert.True(worse.ExitCode == 1, worse.Output + worse.Error);
        Assert.Contains("Newly failing (6): charge-01, charge-02, charge-03, charge-04, charge-05, charge-06", worse.Output, StringComparison.Ordinal);
        Assert.Contains("McNemar exact p = 0.0313", worse.Output, StringComparison.Ordinal);
        Assert.Contains("Significantly worse", worse.Output, StringComparison.Ordinal);
        Assert.Contains("answer_accuracy", worse.Output, StringComparison.Ordinal);

        var json = await CliRun.RunAsync("eval", "compare", b, a, "--json", "--data", _data);
        Assert.Equal(0, json.ExitCode);
        var doc = JsonNode.Parse(json.Output)!;
        Assert.Equal(6, doc["newlyPassing"]!.AsArray().Count);
        Assert.False((bool)doc["significantlyWorse"]!);
        Assert.Equal(0.03125, (double)doc["pValue"]!, 6);
        Assert.Contains(doc["deltas"]!.AsArray(), d => (string?)d!["metric"] == "answer_accuracy" && (double?)d["delta"] == 1.0);

        var unknown = await CliRun.RunAsync("eval", "compare", a, "run-0000000000000000", "--data", _data);
        Assert.Equal(2, unknown.ExitCode);
    }

    [Fact]
    public async Task Run_PublishedWorkflow_AnswersFromIngestedDocuments_AndStoresTheVersion()
    {
        Write(GoldenSet(3, "a free unicorn with every refund"), ClearingBar);
        Assert.Equal(0, (await CliRun.RunAsync("manifest", "publish", Manifest, "--data", _data)).ExitCode);
        // The file's run clears the bar and its text is version 1's: that is the evidence the activation gate needs.
        Assert.Equal(0, (await CliRun.RunAsync("eval", "run", Manifest, "--data", _data)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("manifest", "activate", "support-desk", "1", "--data", _data)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("sources", "ingest", "support-desk", "--from", _folder, "--data", _data)).ExitCode);

        var run = await CliRun.RunAsync("eval", "run", "support-desk", "--golden-set", Path.Combine(_folder, "golden-set.yaml"), "--data", _data);

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.Contains("4 cases, 1 passed.", run.Output, StringComparison.Ordinal);
        var list = await CliRun.RunAsync("eval", "list", "support-desk", "--data", _data);
        Assert.Matches(@"run-[0-9a-f]{16}\W+1\W.*clears", list.Output);
        Assert.Equal(2, (await CliRun.RunAsync("eval", "run", "support-desk", "--version", "9", "--data", _data)).ExitCode);
    }
}
