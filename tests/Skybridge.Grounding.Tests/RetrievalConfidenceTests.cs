using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// Retrieval confidence judges the evidence for what a ticket asks, not the ticket's length: the narrative around the
/// question weighs less, and a ticket about what no source covers still abstains.
/// </summary>
public sealed class RetrievalConfidenceTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SourceDocument Doc(string path, string text) => GroundingFixture.Doc(path, text, source: "kb", classification: "internal");

    // A small help centre: the story of a ticket (a parcel, a courier, a neighbour, a jacket) is told in its words too,
    // on pages that do not answer the question.
    private static readonly SourceDocument[] Corpus =
    [
        Doc("returns/refund-policy.md", "You can return unused items within 30 days of delivery, in their original packaging. Refunds go to the original payment method."),
        Doc("shipping/couriers.md", "Our courier leaves a parcel with a neighbour when nobody is at home, and a card in the letterbox says which neighbour."),
        Doc("shipping/tracking.md", "Every parcel gets a tracking link by e-mail on the day it leaves the warehouse."),
        Doc("care/jackets.md", "Wash a rain jacket at 30 degrees and reproof it once a season so the rain beads off."),
        Doc("orders/gift-wrapping.md", "A birthday present can be gift wrapped at checkout; the invoice then goes to you, not to the person it is for."),
        Doc("account/password.md", "To change your password open Settings, choose Security and follow the link we e-mail you."),
        Doc("billing/vat.md", "Prices include VAT for deliveries inside the European Union."),
    ];

    // The same story around two questions: one the refund policy answers, one no page touches.
    private const string Story = "Hi, the courier left my new rain jacket with a neighbour on Tuesday.";
    private const string Answerable = Story + " How many days do I have to return unused items?";
    private const string Uncovered = Story + " Do you organise guided glacier walks in the Alps?";

    private readonly PassageIndex _index = new();

    public RetrievalConfidenceTests() => _index.Upsert(Corpus);

    public void Dispose() => _index.Dispose();

    private Task<Draft> AskAsync(string text) =>
        new GroundedAnswerer(GroundingFixture.Manifest(abstainBelow: 0.35), _index, new ExtractiveChatClient(), new AnswerChecks { Similarity = null }).AnswerAsync(text, Ct);

    [Fact]
    public async Task Answer_ChattyTicketWhoseQuestionAPassageAnswers_IsAnswered()
    {
        var draft = await AskAsync(Answerable);

        Assert.False(draft.Abstained, draft.ReasonDetail);
        Assert.Contains(draft.Citations, c => c.Document == "returns/refund-policy.md" && c.Quote.Contains("30 days", StringComparison.Ordinal));
        Assert.InRange(draft.Confidence, 0.35, 1.0);
    }

    [Fact]
    public async Task Answer_EquallyLongTicketAboutWhatNoSourceCovers_StillAbstains()
    {
        var draft = await AskAsync(Uncovered);

        Assert.True(draft.Abstained);
        Assert.InRange(draft.Confidence, 0.0, 0.35);
    }

    [Fact]
    public void Search_Coverage_CountsTheQuestionFullyAndTheNarrativeLess()
    {
        var question = Best("How many days do I have to return unused items?", "returns/refund-policy.md");
        var chatty = Best(Answerable, "returns/refund-policy.md");

        // The story costs the answering passage some confidence, never all of it...
        Assert.InRange(chatty, 0.0, question);
        // ...and less than the same words cost when they are part of what is asked.
        var asked = Best("How many days do I have to return unused items, " + Story.TrimEnd('.') + "?", "returns/refund-policy.md");
        Assert.True(chatty > asked, $"narrative {chatty}, asked {asked}");
    }

    [Theory]
    [InlineData(Answerable)]
    [InlineData(Uncovered)]
    [InlineData("refund")]
    [InlineData("zqxwvk zqxwvk zqxwvk?")]
    [InlineData("Hello. Thanks! Regards.")]
    [InlineData("Is it? Really? Why? What about the courier, the neighbour and the parcel?")]
    public void Search_Coverage_StaysBetweenZeroAndOne(string question)
    {
        Assert.All(_index.Search(question, 10), h => Assert.InRange(h.Coverage, 0.0, 1.0));
    }

    [Fact]
    public void Search_Coverage_NeverFallsWhenThePassageHoldsMoreOfTheQuestion()
    {
        // One question, passages that hold more and more of its terms: coverage rises with each.
        using var index = new PassageIndex();
        index.Upsert(
        [
            .. Corpus,
            Doc("x/one.md", "Unused items."),
            Doc("x/two.md", "Unused items can go back."),
            Doc("x/three.md", "Unused items can go back within 30 days."),
            Doc("x/four.md", "Unused items can go back within 30 days of delivery to the warehouse."),
        ]);
        var question = Story + " Can unused items go back to the warehouse within 30 days of delivery?";
        var hits = index.Search(question, 20).Where(h => h.Document.Path.StartsWith("x/", StringComparison.Ordinal)).ToDictionary(h => h.Document.Path, h => h.Coverage);

        Assert.True(hits["x/one.md"] <= hits["x/two.md"] && hits["x/two.md"] <= hits["x/three.md"] && hits["x/three.md"] <= hits["x/four.md"], string.Join(", ", hits));
    }

    private double Best(string question, string path) =>
        _index.Search(question, 10).Where(h => h.Document.Path == path).Select(h => h.Coverage).DefaultIfEmpty(0).Max();
}
