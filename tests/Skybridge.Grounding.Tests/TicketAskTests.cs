using Skybridge.Grounding.Engines;
using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// A ticket is read as a support agent reads it: what it asks (its questions and its requests, "Please refund the
/// second charge") is what the answer must address; the story around it ("both charges are booked, screenshot
/// attached") only says which page. A request for an action is answered by what happens next, not by the list of
/// documents the page also asks for.
/// </summary>
public sealed class TicketAskTests
{
    private const string DuplicateCharges =
        "# Charged twice\n\nSeeing the same amount twice on your statement is worrying. Most of the time it is a pending authorisation.\n\n"
        + "## If you were charged twice\n\nContact us with:\n\n1. your order number;\n2. the date and amount of both charges;\n"
        + "3. a screenshot of your statement showing both booked charges, with other transactions hidden if you like.\n\n"
        + "Once billing confirms the duplicate, it is refunded within 3-5 working days to the same card or account.\n";

    [Fact]
    public void Answer_AnswersARefundRequestWithTheTimeline_NotTheDocumentsToSend()
    {
        var answer = Ask(
            "You charged me twice for the same pair of gaiters. Both charges are booked on my statement, screenshot attached. Please refund the second charge.",
            "billing/duplicate-charges.md", DuplicateCharges);
        var text = Text(answer);
        Assert.Contains("refunded within 3-5 working days to the same card or account", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_WeighsTheQuestionsWordsOverTheStorys()
    {
        // The story shares a dozen words with the page's first sentence, the question two with its second: the second
        // answers the question, the first only describes the customer's delivery. Counted alike, the story's sentence
        // outweighs the answer so far that the answer is not quoted at all.
        var answer = Ask(
            "I ordered the blue merino hiking socks in size 42 with express delivery to my office in Munich on Monday, and they arrived on Wednesday in a small parcel. Can I swap socks with a hole for new ones?",
            "returns/socks.md",
            "Blue merino hiking socks in size 42 sent by express delivery to an office in Munich on Monday usually arrive on Wednesday in a small parcel.\n\n"
            + "We swap items with a hole for free.\n");
        Assert.Contains("We swap items with a hole for free.", Text(answer), StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_KeepsASecondSentenceThatSharesFewerOfTheQuestionsWords()
    {
        // The second sentence shares two of the question's four terms and scores about 0.39 of the first: a second fact
        // of the same page that a reader of the answer needs, quoted since sentences down to 35% of the best are.
        var answer = Ask(
            "Why is there a blue filter on the lens coating?",
            "camera/filters.md",
            "The blue filter protects the lens coating.\n\nThe filter fits a lens with a 52 mm thread.\n\nStraps and bags are sold separately.\n");
        var text = Text(answer);
        Assert.Contains("The blue filter protects the lens coating.", text, StringComparison.Ordinal);
        Assert.Contains("The filter fits a lens with a 52 mm thread.", text, StringComparison.Ordinal);
    }
}
