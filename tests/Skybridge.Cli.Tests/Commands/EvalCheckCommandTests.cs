namespace Skybridge.Cli.Tests.Commands;

/// <summary>
/// <c>skybridge eval check</c> on a copy of the sample: the golden set read against the documents of the manifest's
/// sources as the document reader reads them, findings with their place, and the exit code a script can use.
/// </summary>
public sealed class EvalCheckCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("skybridge-eval-check-").FullName;

    public EvalCheckCommandTests()
    {
        CliRun.CopySample(_folder);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Manifest => Path.Combine(_folder, "manifest.yaml");

    private string GoldenSetFile => Path.Combine(_folder, "golden-set.yaml");

    private static string Case(string id, string fact, string cite) => $"""
          - id: {id}
            input: I was charged twice for my order. Will I get the money back?
            expect:
              outcome: answer
              facts: ["{fact}"]
              cite: [{cite}]
            agreed_by: user:maria.lopez
            agreed_on: 2026-09-07

        """;

    private void Write(string goldenSet, bool pin = true)
    {
        File.WriteAllText(GoldenSetFile, goldenSet);
        var yaml = File.ReadAllText(Manifest);
        File.WriteAllText(Manifest, pin ? CliRun.PinGoldenSet(yaml, goldenSet) : CliRun.PinGoldenSet(yaml, "", sha256: new string('a', 64)));
    }

    [Fact]
    public async Task Check_CasesThatMatchTheirDocuments_ExitsZero_AndSaysWhatWasChecked()
    {
        Write("version: 1\ncases:\n" + Case("charge-01", "The authorisation disappears by itself", "billing/duplicate-charges.md"));

        var check = await CliRun.RunAsync("eval", "check", Manifest);

        Assert.True(check.ExitCode == 0, check.Output + check.Error);
        Assert.Matches(@"golden-set\.yaml: 1 answer cases checked against \d+ documents: every fact is on a cited document, and every document that states one is cited\.", check.Output);
    }

    [Fact]
    public async Task Check_ACitationOfNoDocument_AndAFactOnOtherDocuments_ExitsOne_EachWithItsPlace()
    {
        var text = "version: 1\ncases:\n"
            + Case("charge-01", "The authorisation disappears by itself", "billing/duplicate-charge.md")
            + Case("charge-02", "Returns from Germany are free", "billing/duplicate-charges.md");
        Write(text);

        var check = await CliRun.RunAsync("eval", "check", Manifest);

        Assert.Equal(1, check.ExitCode);
        var lines = check.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith($"golden-set.yaml:{Place(text, "billing/duplicate-charge.md]")}: warning SB1610: case 'charge-01' cites 'billing/duplicate-charge.md', which no source of the manifest holds", StringComparison.Ordinal)
            && l.EndsWith("did you mean 'billing/duplicate-charges.md'?", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"golden-set.yaml:{Place(text, "\"Returns from Germany")}: warning SB1611: fact \"Returns from Germany are free\" of case 'charge-02' is stated on none of the documents it cites, but on 'returns/", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("warning SB1612: 'returns/refund-policy.md' states its fact (\"Returns from Germany are free\") of case 'charge-02' but is not cited", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("warning SB1613: case 'charge-02' cites 'billing/duplicate-charges.md', which states none of its facts", StringComparison.Ordinal));
        Assert.Matches(@"2 answer cases checked against \d+ documents: \d+ findings \(1 SB1610, 1 SB1611, \d+ SB1612, 1 SB1613\)\.", check.Output);
    }

    [Fact]
    public async Task Check_AGoldenSetChangedSinceItsPin_IsCheckedAnyway_WithTheStalePinAsAWarning()
    {
        Write("version: 1\ncases:\n" + Case("charge-01", "The authorisation disappears by itself", "billing/duplicate-charges.md"), pin: false);

        var check = await CliRun.RunAsync("eval", "check", Manifest);

        Assert.True(check.ExitCode == 0, check.Output + check.Error);
        Assert.Matches(@"golden-set\.yaml: warning SB1155: the golden set's SHA-256 is [0-9a-f]{64}, but the manifest pins a{64}: checked as it is now; pin it once its cases are reviewed \(skybridge eval pin\)\.", check.Error);
        Assert.Contains("every fact is on a cited document", check.Output, StringComparison.Ordinal);
        // A run still refuses the same golden set.
        Assert.Equal(2, (await CliRun.RunAsync("eval", "run", Manifest)).ExitCode);
    }

    [Fact]
    public async Task Check_ABrokenGoldenSet_ExitsTwo_WithItsProblemsPlaced_AndChecksNothing()
    {
        Write("version: 1\ncases:\n" + Case("charge-01", "The authorisation disappears by itself", "billing/duplicate-charges.md").Replace("agreed_on: 2026-09-07", "agreed_on: 2026-13-07", StringComparison.Ordinal));

        var check = await CliRun.RunAsync("eval", "check", Manifest);

        Assert.Equal(2, check.ExitCode);
        Assert.Matches(@"golden-set\.yaml:\d+:\d+: error SB1607", check.Error);
        Assert.Contains("Nothing was checked", check.Error, StringComparison.Ordinal);
        Assert.Equal("", check.Output);
    }

    [Fact]
    public async Task Find_ListsTheDocumentsThatStateTheText_AndExitsOneWhenNoneDoes()
    {
        var found = await CliRun.RunAsync("eval", "check", Manifest, "--find", "returns from   GERMANY are free");
        var none = await CliRun.RunAsync("eval", "check", Manifest, "--find", "Returns from Mars are free");

        Assert.Equal(0, found.ExitCode);
        var documents = found.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("returns/refund-policy.md", documents);
        Assert.Contains("shipping/shipping-costs.html", documents);
        Assert.DoesNotContain("billing/duplicate-charges.md", documents);
        Assert.Contains($"{documents.Length} of ", found.Error, StringComparison.Ordinal);
        Assert.Equal(1, none.ExitCode);
        Assert.Equal("", none.Output);
    }

    private static string Place(string text, string anchor)
    {
        var index = text.IndexOf(anchor, StringComparison.Ordinal);
        return $"{1 + text[..index].Count(c => c == '\n')}:{index - text.LastIndexOf('\n', index) }";
    }
}
