using System.Text.Json.Nodes;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Manifests;

namespace Skybridge.Cli.Tests.Samples;

/// <summary>
/// The sqlite-docs sample (samples/sqlite-docs): its manifest and golden set load and agree, its golden set is honest
/// about the corpus, and <c>skybridge eval run</c> completes on it. The corpus comes from Debian's sqlite3-doc package
/// (samples/sqlite-docs/setup.sh, run by scripts/test.sh); without it the corpus tests are skipped, never passed.
/// Reading and indexing 766 pages takes two cores for several seconds, so these run alone, not beside the
/// load-sensitive ledger crash test.
/// </summary>
[Collection(SqliteDocsCollection.Name)]
public sealed class SqliteDocsSampleTests : IDisposable
{
    private static readonly string Sample = Path.Combine(CliRun.RepoRoot, "samples", "sqlite-docs");
    private static string Manifest => Path.Combine(Sample, "manifest.yaml");
    private static string GoldenSetFile => Path.Combine(Sample, "golden-set.yaml");
    private static string Corpus => Path.Combine(Sample, "corpus");

    private readonly string _out = Directory.CreateTempSubdirectory("skybridge-sqlite-docs-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private static WorkflowManifest LoadManifest()
    {
        var loaded = ManifestLoader.Load(File.ReadAllText(Manifest), Manifest, new ManifestValidationContext
        {
            FileExists = p => File.Exists(Path.Combine(Sample, p)),
            ReadFile = p => File.Exists(Path.Combine(Sample, p)) ? File.ReadAllBytes(Path.Combine(Sample, p)) : null,
        });
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Diagnostics.Select(d => d.ToString())));
        return loaded.Manifest!;
    }

    private static GoldenSet LoadGoldenSet()
    {
        var loaded = GoldenSetLoader.Load(File.ReadAllBytes(GoldenSetFile), GoldenSetFile);
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Diagnostics.Select(d => d.ToString())));
        return loaded.GoldenSet!;
    }

    private static void SkipWithoutCorpus()
    {
        if (!Directory.Exists(Corpus) || !Directory.EnumerateFiles(Corpus, "*.html", SearchOption.AllDirectories).Any())
        {
            Assert.Skip("the sqlite-docs corpus is not installed: run samples/sqlite-docs/setup.sh (scripts/test.sh does)");
        }
    }

    [Fact]
    public void ManifestAndGoldenSet_LoadWithoutErrors_AndThePinMatchesTheGoldenSet()
    {
        var manifest = LoadManifest();
        var golden = LoadGoldenSet();

        Assert.Equal(golden.Sha256, manifest.GoldenSetSha256);
        Assert.True(golden.Cases.Count >= 150, $"{golden.Cases.Count} cases");
        Assert.True(golden.Cases.Count(c => c.Expect.Outcome == ExpectedOutcome.Abstain) >= 40);
        Assert.Contains(golden.Cases, c => c.Tags.Contains("injection"));
        Assert.Equal(["corpus", "planted"], manifest.Sources.Select(s => s.Name));
    }

    [Fact]
    public async Task EvalCheck_FindsEveryFactOnACitedPage_AndEveryPageStatingItCited_AsDocumentReaderReadsThem()
    {
        SkipWithoutCorpus();

        var check = await CliRun.RunAsync("eval", "check", Manifest);

        Assert.True(check.ExitCode == 0, check.Output + check.Error);
        var read = System.Text.RegularExpressions.Regex.Match(check.Output, @"(\d+) answer cases checked against (\d+) documents: every fact is on a cited document, and every document that states one is cited\.");
        Assert.True(read.Success, check.Output);
        Assert.True(int.Parse(read.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 110, read.Value);
        Assert.True(int.Parse(read.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) > 700, read.Value);
    }

    [Fact]
    public async Task EvalRun_OnTheCorpus_CompletesWithAVerdict_AndWritesAReportWithMeasuredFigures()
    {
        SkipWithoutCorpus();

        // Words only: the first embedding of the corpus's passages takes minutes on two cores, too long for every test
        // run; the fused figures are measured by hand and recorded in docs/performance.md.
        var run = await CliRun.RunAsync("eval", "run", Manifest, "--out", _out, "--embedding-model", "none");

        Assert.True(run.ExitCode is 0 or 1, $"exit {run.ExitCode}: {run.Error}");
        Assert.Contains("Verdict:", run.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_out, "report.html")));
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(_out, "results.json")))!;
        var overall = results["metrics"]!["overall"]!;
        Assert.Equal(LoadGoldenSet().Cases.Count, (int)overall["cases"]!);
        var accuracy = overall["metrics"]!["answer_accuracy"]!;
        Assert.True((int)accuracy["trials"]! > 0);
        Assert.InRange((double)accuracy["value"]!, 0, 1);
        Assert.True((double)overall["metrics"]!["p50_latency_ms"]!["value"]! > 0);
    }
}

/// <summary>Runs the sqlite-docs tests after the others, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SqliteDocsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "sqlite-docs corpus";
}
