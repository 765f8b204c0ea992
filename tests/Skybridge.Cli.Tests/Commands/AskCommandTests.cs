using System.Text.Json;

namespace Skybridge.Cli.Tests.Commands;

/// <summary><c>skybridge ask MANIFEST "TEXT"</c> against the sample help centre, with no server.</summary>
[Collection("session-environment")]
public sealed class AskCommandTests
{
    private static string KnowledgeBase => Path.Combine(CliRun.RepoRoot, "samples", "support-desk", "knowledge-base");

    [Fact]
    public async Task Ask_WithTheSampleManifest_AnswersWithQuotesThatAreInTheFiles()
    {
        var run = await CliRun.RunAsync("ask", CliRun.SampleManifest, "How long does a refund take?", "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        using var draft = JsonDocument.Parse(run.Output);
        var root = draft.RootElement;
        Assert.False(root.GetProperty("abstained").GetBoolean());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("reason").ValueKind);
        Assert.False(string.IsNullOrEmpty(root.GetProperty("answer").GetString()));
        foreach (var citation in root.GetProperty("citations").EnumerateArray())
        {
            var document = citation.GetProperty("document").GetString()!;
            var file = await File.ReadAllTextAsync(Path.Combine(KnowledgeBase, document), TestContext.Current.CancellationToken);
            var quote = citation.GetProperty("quote").GetString()!;
            Assert.Contains(quote, file, StringComparison.Ordinal);
            Assert.Equal(64, citation.GetProperty("version").GetString()!.Length);
            Assert.True(citation.GetProperty("end").GetInt32() - citation.GetProperty("start").GetInt32() == quote.Length);
        }
    }

    [Fact]
    public async Task Ask_OnAManifest_AsJson_ListsThePassagesRetrievalFound_ForAnAnswerAndForAHandOver()
    {
        foreach (var (question, abstains) in new[] { ("How long does a refund take?", false), ("Do you have a student discount? I study in Vienna.", true) })
        {
            var run = await CliRun.RunAsync("ask", CliRun.SampleManifest, question, "--json", "--embedding-model", "none");
            Assert.True(run.ExitCode == 0, run.Error);
            using var draft = JsonDocument.Parse(run.Output);
            Assert.Equal(abstains, draft.RootElement.GetProperty("abstained").GetBoolean());
            var retrieved = draft.RootElement.GetProperty("retrieved").EnumerateArray().ToList();
            Assert.NotEmpty(retrieved);
            foreach (var passage in retrieved)
            {
                Assert.True(File.Exists(Path.Combine(KnowledgeBase, passage.GetProperty("document").GetString()!)));
                Assert.True(passage.GetProperty("end").GetInt32() > passage.GetProperty("start").GetInt32());
                Assert.InRange(passage.GetProperty("coverage").GetDouble(), 0, 1);
            }

            foreach (var citation in draft.RootElement.GetProperty("citations").EnumerateArray())
            {
                Assert.Contains(retrieved, p => p.GetProperty("document").GetString() == citation.GetProperty("document").GetString());
            }
        }
    }

    [Fact]
    public async Task Ask_CaseLongerThanTheNodeAccepts_IsRefusedWithItsLength_AndExitsTwo()
    {
        // A document pasted as a case: refused as the node refuses it, before anything is read or loaded.
        var text = "How long does a refund take? " + new string('x', 20_000);
        var run = await CliRun.RunAsync("ask", CliRun.SampleManifest, text);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("The case text must be 1-20,000 characters, not 20,029", run.Error, StringComparison.Ordinal);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public async Task Ask_AboutContradictingPages_Abstains_WithTheReason()
    {
        var run = await CliRun.RunAsync("ask", CliRun.SampleManifest, "Do you match a lower price from another shop after my purchase?", "--json");
        Assert.Equal(0, run.ExitCode);
        using var draft = JsonDocument.Parse(run.Output);
        Assert.True(draft.RootElement.GetProperty("abstained").GetBoolean());
        Assert.Equal("conflicting_sources", draft.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Ask_NeverQuotesTheOutdatedPage()
    {
        var run = await CliRun.RunAsync("ask", CliRun.SampleManifest, "Within how many days can I return unused items?", "--json");
        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain("returns-policy-2023", run.Output, StringComparison.Ordinal);
        Assert.Contains("30 days", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void SampleKnowledgeBase_HasFortyArticles_WithTheMarkedCases()
    {
        var articles = Directory.EnumerateFiles(KnowledgeBase, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("README.md", StringComparison.Ordinal)).ToList();
        Assert.True(articles.Count >= 40, articles.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("status: outdated", File.ReadAllText(Path.Combine(KnowledgeBase, "returns", "returns-policy-2023.md")), StringComparison.Ordinal);
        Assert.Contains("contradicts: [pricing-faq]", File.ReadAllText(Path.Combine(KnowledgeBase, "pricing", "price-match.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_WithoutASession_SaysHowToSignIn()
    {
        Environment.SetEnvironmentVariable("SKYBRIDGE_CONFIG", Path.Combine(CliRun.NewDataFolder(), "none"));
        var run = await CliRun.RunAsync("ask", "support-desk", "Where is my parcel?");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Not signed in", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_RefusesAnAttributeWithoutAValue_BeforeAnythingIsSent()
    {
        var run = await CliRun.RunAsync("ask", "support-desk", "Where is my parcel?", "--attr", "ticket_id");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--attr ticket_id: write NAME=VALUE", run.Error, StringComparison.Ordinal);
    }
}
