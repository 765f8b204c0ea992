using Microsoft.Extensions.AI;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// Which retrieved passages reach the engine: a passage close in meaning to the question (similarity at or above
/// <c>retrieval.agreed_meaning_at</c>) is read even when it shares too few of the question's words to clear
/// <c>retrieval.min_score</c>; by words only, and with the meaning rule off, <c>min_score</c> decides as before.
/// </summary>
public sealed class HandedPassageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SourceDocument Doc(string path, string text) => GroundingFixture.Doc(path, text, source: "kb", classification: "internal");

    // The sizes page states the fact in words the question does not use (no "size", no "choose"); the other two pages
    // share one question word each, so they clear min_score and carry the confidence gate.
    private static readonly SourceDocument[] Corpus =
    [
        Doc("format/sizes.md", "A page must be a power of two between 512 and 65536 bytes."),
        Doc("planner/joins.md", "Choose the join order before the indexes."),
        Doc("cache/memory.md", "The cache size is counted in pages."),
    ];

    private const string Question = "Which size can I choose?";

    private static async Task<string> EngineInputAsync(bool meaning, double agreedMeaningAt = 0.5)
    {
        using var index = meaning ? new PassageIndex(new DenseRetrieval(new SizesEmbedder())) : new PassageIndex();
        await index.UpsertAsync(Corpus, Ct);
        var manifest = GroundingFixture.Manifest(abstainBelow: 0.2);
        manifest = manifest with { Retrieval = manifest.Retrieval with { AgreedMeaningAt = agreedMeaningAt } };
        using var engine = new RecordingChatClient(new ExtractiveChatClient());
        var draft = await new GroundedAnswerer(manifest, index, engine).AnswerAsync(Question, Ct);

        Assert.False(draft.Abstained, draft.ReasonDetail);
        Assert.Contains(draft.Retrieved, p => p.Document == "format/sizes.md");
        return engine.Input;
    }

    [Fact]
    public async Task Engine_ReadsAPassageCloseInMeaning_WhenItSharesTooFewWordsForMinScore()
    {
        var input = await EngineInputAsync(meaning: true);

        Assert.Contains("power of two between 512 and 65536", input, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Engine_DoesNotReadAPassageBelowMinScore_WhenTheMeaningRuleIsOff()
    {
        var input = await EngineInputAsync(meaning: true, agreedMeaningAt: 1);

        Assert.DoesNotContain("power of two", input, StringComparison.Ordinal);
        Assert.Contains("join order", input, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Engine_DoesNotReadAPassageBelowMinScore_ByWordsOnly()
    {
        using var index = new PassageIndex();
        await index.UpsertAsync(Corpus, Ct);
        using var engine = new RecordingChatClient(new ExtractiveChatClient());
        var draft = await new GroundedAnswerer(GroundingFixture.Manifest(abstainBelow: 0.2), index, engine).AnswerAsync(Question, Ct);

        Assert.False(draft.Abstained, draft.ReasonDetail);
        Assert.DoesNotContain("power of two", engine.Input, StringComparison.Ordinal);
    }

    /// <summary>The question and the sizes page are close in meaning (0.8); everything else is far from the question.</summary>
    private sealed class SizesEmbedder : ISentenceEmbedder
    {
        public string ModelId => "test-sizes-embedder-1";

        public int Dimension => 3;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
            [.. texts.Select(t => t.Contains("choose?", StringComparison.Ordinal) ? new[] { 1f, 0f, 0f }
                : t.Contains("power of two", StringComparison.Ordinal) ? new[] { 0.8f, 0.6f, 0f }
                : new[] { 0.2f, 0f, 0.98f })];
    }

    /// <summary>The engine as the answerer calls it, keeping what it was given to read.</summary>
    private sealed class RecordingChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        public string Input { get; private set; } = "";

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            Input = string.Join("\n", list.Select(m => m.Text));
            return base.GetResponseAsync(list, options, cancellationToken);
        }
    }
}
