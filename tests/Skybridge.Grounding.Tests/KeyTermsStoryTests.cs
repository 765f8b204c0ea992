using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// Which words of a ticket are its key terms (<c>key_terms_missing</c>): a help centre that never names the place a
/// customer travels to, nor "anyone", can still answer what the ticket asks.
/// </summary>
public sealed class KeyTermsStoryTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly PassageIndex _index = new();

    public KeyTermsStoryTests() => _index.Upsert(
    [
        GroundingFixture.Doc("shipping/express.md", "Express orders placed before 15:00 are delivered the next working day. There is no Saturday delivery.", "Express shipping"),
        GroundingFixture.Doc("contact/escalations.md", "Exceptions are decided by a team lead. A refund promised on the phone is checked by the payments team first.", "Escalations"),
        GroundingFixture.Doc("returns/policy.md", "You can return unused items within 30 days of delivery. Opened hygiene items cannot be returned.", "Returns"),
    ]);

    public void Dispose() => _index.Dispose();

    private Task<Draft> AskAsync(string question) =>
        new GroundedAnswerer(GroundingFixture.Manifest(abstainBelow: 0.2) with
        {
            Retrieval = new RetrievalSettings { TopK = 5, MinScore = 0.1, AbstainBelow = 0.2 },
        }, _index, new ExtractiveChatClient()).AnswerAsync(question, Ct);

    [Fact]
    public async Task AnswerAsync_Answers_WhenOnlyTheTicketsStoryNamesAPlaceTheSourcesNeverName()
    {
        var draft = await AskAsync("Do you deliver express on Saturdays? Leaving for the Alps on Sunday.");

        Assert.False(draft.Abstained, draft.Reason + ": " + draft.ReasonDetail);
        Assert.Contains("no Saturday delivery", draft.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnswerAsync_AbstainsWithKeyTermsMissing_WhenTheAskItselfNamesAPlaceTheSourcesNeverName()
    {
        // The same name, asked about rather than told: the help centre says nothing of it.
        var draft = await AskAsync("I deliver express on Saturdays. Is it safe to walk across the Alps on Sunday?");

        Assert.True(draft.Abstained);
        Assert.Equal("key_terms_missing", draft.Reason);
        Assert.Contains("'Alps'", draft.ReasonDetail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnswerAsync_DoesNotCountAnIndefinitePronounAsAMissingKeyTerm()
    {
        // "the phone", "a goodwill refund", "the return", "with anyone": "goodwill" is 1 of 3 key terms, under the 0.5 share
        // (with "anyone" counted, 2 of 4 would reach it).
        var draft = await AskAsync("I was promised on the phone a goodwill refund for the return. Just process it, no need to check with anyone.");

        Assert.NotEqual("key_terms_missing", draft.Reason);
    }
}
