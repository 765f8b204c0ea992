using System.Text.Json.Nodes;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// A case of several questions whose evidence as a whole is too thin is judged question by question: a question its own
/// passages cover is answered from them, one they do not is handed over by name with its reason, and the case abstains
/// as before when no question can be answered. A case of one question is judged as before.
/// </summary>
public sealed class PartEvidenceTests : IDisposable
{
    // Each checkpoint section names one matter; no passage speaks of starvation, crashes and settings together.
    private const string Checkpoints = """
        # Checkpoints

        ## When a checkpoint runs

        Quillbase runs a checkpoint automatically after a commit when the journal reaches 1000 pages.

        ## Checkpoint settings

        The checkpoint interval is a setting of the connection.

        ## Checkpoints after a crash

        After a crash the next connection runs a checkpoint first.

        ## Checkpoint starvation

        Starvation happens when a reader stays active for hours.
        """;

    private const string Vacuum = """
        # Vacuum

        ## How long the vacuum command takes

        On a laptop the vacuum command takes about two seconds for each gigabyte of the file.
        """;

    // Covered by one passage of the vacuum page.
    private const string Covered = "How long does the vacuum command take on a laptop?";

    // Every word occurs in the sources, each in another section: no passage covers the question.
    private const string Scattered = "Does starvation after a crash change the interval setting?";

    private readonly PassageIndex _index = new();

    public PartEvidenceTests() => _index.Upsert([Doc("checkpoints.md", "Checkpoints", Checkpoints), Doc("vacuum.md", "Vacuum", Vacuum)]);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SourceDocument Doc(string path, string title, string text) => GroundingFixture.Doc(path, text, title);

    private const double Threshold = 0.6;

    private Task<Draft> AskAsync(string text) =>
        new GroundedAnswerer(GroundingFixture.Manifest() with { Retrieval = new RetrievalSettings { TopK = 4, MinScore = 0.1, AbstainBelow = Threshold } }, _index, new ExtractiveChatClient())
            .AnswerAsync(text, Ct);

    [Fact]
    public async Task AnswerAsync_AnswersTheCoveredQuestion_AndHandsOverTheOtherByName_WhenTheCaseAsAWholeIsBelowTheThreshold()
    {
        // The case as a whole: its best passage covers only the vacuum question's words, below the threshold.
        var whole = _index.Search(Covered + " " + Scattered, 4).Max(h => h.Coverage);
        Assert.True(whole < Threshold, $"the case's own confidence is {whole:0.00}");

        var draft = await AskAsync(Covered + " " + Scattered);

        Assert.False(draft.Abstained, draft.Reason + ": " + draft.ReasonDetail);
        Assert.Contains(draft.Citations, c => c.Document == "vacuum.md" && c.Quote.Contains("two seconds for each gigabyte", StringComparison.Ordinal));
        // Nothing of the scattered checkpoint sections is put forward as an answer to the question handed over.
        Assert.DoesNotContain(draft.Citations, c => c.Document == "checkpoints.md");
        Assert.Equal([Scattered], draft.HandedOver);
        var handOver = Assert.Single(draft.HandOvers);
        Assert.Equal(Scattered, handOver.Question);
        Assert.Equal("low_retrieval_confidence", handOver.Reason);
        Assert.StartsWith($"I can't answer '{Scattered}' from the sources: its best passage covers ", handOver.Detail, StringComparison.Ordinal);
        // By words only nothing else could have passed the gate, and the sentence says no more.
        Assert.EndsWith("of it; the manifest asks for at least 0.60.", handOver.Detail, StringComparison.Ordinal);
        // The draft's confidence is that of the evidence it answers from.
        Assert.True(draft.Confidence >= Threshold, draft.Confidence.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task AnswerAsync_AbstainsAsAWhole_WhenNoQuestionIsCovered()
    {
        var draft = await AskAsync(Scattered + " And does starvation happen after a crash when the interval is a setting?");

        Assert.True(draft.Abstained);
        Assert.Equal("low_retrieval_confidence", draft.Reason);
        Assert.StartsWith("The best passage covers ", draft.ReasonDetail, StringComparison.Ordinal);
        Assert.Empty(draft.Claims);
        Assert.Empty(draft.HandOvers);
    }

    [Fact]
    public async Task AnswerAsync_AbstainsAsAWhole_WhenEveryQuestionPassesAloneButNotTheCase()
    {
        // Each question is covered by its own page, but no passage covers the case: no question explains why the case
        // fails, so its evidence is spread thin and it goes to a person whole.
        const string text = "How long does the vacuum command take on a laptop? When does Quillbase run a checkpoint automatically after a commit?";
        var whole = _index.Search(text, 4).Max(h => h.Coverage);
        Assert.True(whole < Threshold, $"the case's own confidence is {whole:0.00}");

        var draft = await AskAsync(text);

        Assert.True(draft.Abstained);
        Assert.Equal("low_retrieval_confidence", draft.Reason);
    }

    [Fact]
    public async Task AnswerAsync_JudgesACaseOfOneQuestionWhole_AsBefore()
    {
        var covered = await AskAsync(Covered);
        var scattered = await AskAsync(Scattered);

        Assert.False(covered.Abstained, covered.ReasonDetail);
        Assert.Contains(covered.Citations, c => c.Quote.Contains("two seconds for each gigabyte", StringComparison.Ordinal));
        Assert.Empty(covered.HandOvers);
        Assert.True(scattered.Abstained);
        Assert.Equal("low_retrieval_confidence", scattered.Reason);
        Assert.Empty(scattered.HandOvers);
    }

    [Fact]
    public async Task ToJson_NamesEachHandedOverQuestionWithItsReason()
    {
        var json = DraftView.ToJson(await AskAsync(Covered + " " + Scattered));

        Assert.False(json["abstained"]!.GetValue<bool>());
        var handOver = Assert.Single(json["handOvers"]!.AsArray())!.AsObject();
        Assert.Equal(Scattered, handOver["question"]!.GetValue<string>());
        Assert.Equal("low_retrieval_confidence", handOver["reason"]!.GetValue<string>());
        Assert.Contains("I can't answer", handOver["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal([Scattered], json["handedOver"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    public void Dispose() => _index.Dispose();
}
