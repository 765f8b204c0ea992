using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// The confidence gate with meaning: a ticket that shares few words with the page that answers it passes when BM25 and
/// meaning rank the same page first and its passage is close in meaning (<c>retrieval.agreed_meaning_at</c>); it still
/// abstains, with its reason, when the rankings disagree, when the passage is not close enough, and by words only.
/// </summary>
public sealed class MeaningConfidenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SourceDocument Doc(string path, string text) => GroundingFixture.Doc(path, text, source: "kb", classification: "internal");

    private static readonly SourceDocument[] Corpus =
    [
        Doc("returns/refund-policy.md", "Items that arrived in the wrong size can be sent back within 30 days of delivery for a full refund."),
        Doc("care/boots.md", "Wax the leather boots twice a season so they stay waterproof."),
        Doc("shipping/zones.md", "We ship to every country in the European Union and to Norway."),
    ];

    // The refund policy shares two words with the ticket ("arrived", "back"): its coverage is below the gate (0.6 here).
    private const string Ask = "How long do I have to send it back?";
    private const string Agreeing = "It arrived and it does not fit. " + Ask;

    // The story names the boots page twice (waxed, boots), so BM25 puts that page first; meaning puts the refund policy first.
    private const string Disagreeing = "I waxed the boots and they still leak. " + Ask;

    private static async Task<Draft> AskAsync(string text, bool meaning, double agreedMeaningAt = 0.5)
    {
        using var index = meaning ? new PassageIndex(new DenseRetrieval(new MarkerEmbedder())) : new PassageIndex();
        await index.UpsertAsync(Corpus, Ct);
        var manifest = GroundingFixture.Manifest(abstainBelow: 0.6);
        manifest = manifest with { Retrieval = manifest.Retrieval with { AgreedMeaningAt = agreedMeaningAt } };
        return await new GroundedAnswerer(manifest, index, new ExtractiveChatClient()).AnswerAsync(text, Ct);
    }

    [Fact]
    public async Task Answer_LowWordCoverageWithAgreeingRankingsAndAClosePassage_IsAnswered()
    {
        var draft = await AskAsync(Agreeing, meaning: true);

        Assert.False(draft.Abstained, draft.ReasonDetail);
        Assert.InRange(draft.Confidence, 0.2, 0.59);
        Assert.Equal(0.6, draft.AgreedSimilarity!.Value, 3);
        Assert.Contains(draft.Citations, c => c.Document == "returns/refund-policy.md" && c.Quote.Contains("30 days", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Answer_LowWordCoverageWithDisagreeingRankings_AbstainsForLowConfidence()
    {
        var draft = await AskAsync(Disagreeing, meaning: true);

        Assert.True(draft.Abstained);
        Assert.Equal("low_retrieval_confidence", draft.Reason);
        Assert.Null(draft.AgreedSimilarity);
        // The person the case goes to is told where each ranking would have looked.
        Assert.EndsWith("or a page that words and meaning both rank first (they disagree: words put care/boots.md first, meaning returns/refund-policy.md).", draft.ReasonDetail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answer_LowWordCoverageWithAgreeingRankingsButAPassageNotCloseEnough_AbstainsForLowConfidence()
    {
        var draft = await AskAsync(Agreeing, meaning: true, agreedMeaningAt: 0.7);

        Assert.True(draft.Abstained);
        Assert.Equal("low_retrieval_confidence", draft.Reason);
        Assert.Contains("0.60", draft.ReasonDetail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answer_LowWordCoverageByWordsOnly_AbstainsAsBefore()
    {
        var draft = await AskAsync(Agreeing, meaning: false);

        Assert.True(draft.Abstained);
        Assert.Equal("low_retrieval_confidence", draft.Reason);
        Assert.Null(draft.AgreedSimilarity);
        Assert.EndsWith("of the question; the manifest asks for at least 0.60.", draft.ReasonDetail, StringComparison.Ordinal);
    }

    /// <summary>
    /// Vectors chosen by a marker in the text, so that similarities are exact: the question is 0.6 from the refund
    /// policy and orthogonal to the other pages.
    /// </summary>
    private sealed class MarkerEmbedder : ISentenceEmbedder
    {
        public string ModelId => "test-marker-embedder-1";

        public int Dimension => 4;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
            [.. texts.Select(t => t.Contains("send it back", StringComparison.Ordinal) ? new[] { 0.6f, 0.8f, 0f, 0f }
                : t.Contains("sent back", StringComparison.Ordinal) ? new[] { 1f, 0f, 0f, 0f }
                : t.Contains("boots", StringComparison.Ordinal) ? new[] { 0f, 0f, 1f, 0f }
                : new[] { 0f, 0f, 0f, 1f })];
    }

    [Theory]
    [InlineData(1.0, 1.0, false)] // 1 turns the rule off, even for a passage identical to the question
    [InlineData(0.99995, 1.0, false)]
    [InlineData(0.5, 0.5, true)]
    [InlineData(0.49, 0.5, false)]
    public void PassesByMeaning_IsOffAtOne_AndOtherwiseComparesWithTheSetting(double similarity, double setting, bool passes) =>
        Assert.Equal(passes, GroundedAnswerer.PassesByMeaning(similarity, setting));
}
