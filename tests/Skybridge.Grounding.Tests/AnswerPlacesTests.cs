using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// The built-in engine's three places in an answer are three parts of the page (a paragraph, a list, a sentence of a long
/// paragraph), not three lines of one short list it quotes whole anyway: items of the list that share the question's
/// words leave room for the section that states the fact.
/// </summary>
public sealed class AnswerPlacesTests
{
    private const string Charges =
        "# Charged twice\n\nSend us the following about the charge:\n\n" +
        "- the amount of the charge on your statement;\n" +
        "- the date of each charge on your statement;\n" +
        "- a statement of the charge showing both charges.\n\n" +
        "## What we do\n\nOnce confirmed, the second charge is refunded within 3-5 working days.\n";

    [Fact]
    public void Answer_QuotesTheSectionAfterAShortList_WhenTheListsItemsTakeTheBestPlaces()
    {
        var text = Text(Ask("What happens with a second charge on my statement?", ("duplicate.md", Charges)));
        Assert.Contains("the date of each charge on your statement;", text, StringComparison.Ordinal);
        Assert.Contains("the second charge is refunded within 3-5 working days.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesTheSectionAfterAShortParagraph_WhenItsSentencesTakeTheBestPlaces()
    {
        // The three sentences of the first paragraph share the question's words more densely; the validity stands
        // under its own heading.
        var text = Text(Ask("Until when can I use my gift card?",
            ("gift-cards.md", "# Gift cards\n\n## Using a gift card\n\nUse a gift card for several orders. Use up to 3 gift cards per order. Gift cards work for rentals too.\n\n" +
                "## Validity\n\nGift cards are valid for 3 years from the end of the year of purchase, so a card bought in May 2026 is valid until 31 December 2029.\n")));
        Assert.Contains("Use up to 3 gift cards per order.", text, StringComparison.Ordinal);
        Assert.Contains("valid for 3 years from the end of the year of purchase", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_KeepsToThreeParts_WhenEachChosenSentenceStandsAlone()
    {
        // Four paragraphs that each answer a little: the answer still quotes at most three of them.
        var text = Text(Ask("How do gift card refunds work?",
            ("gift-cards.md", "# Gift cards\n\nGift card refunds go back onto the gift card as credit.\n\nA gift card refund never goes to a bank account.\n\nGift card refunds for rentals go onto the gift card too.\n\nRefunds of a gift card bought by mistake follow the return rules for gift cards.\n")));
        var quoted = new[] { "as credit.", "bank account.", "rentals go onto", "bought by mistake" }.Count(s => text.Contains(s, StringComparison.Ordinal));
        Assert.Equal(3, quoted);
    }
}
