using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// A case that states a value (750 EUR, 85 EUR, 8 months) is decided by the page's limit in that unit (a range, a
/// minimum, a maximum, a threshold): the built-in engine quotes the sentence that states it, not the page's other
/// sentences that share more of the case's words.
/// </summary>
public sealed class StatedValueLimitTests
{
    private const string GiftCards =
        "# Gift cards\n\n" +
        "A gift card lets them choose their own gear.\n\n" +
        "## Buying a gift card\n\n" +
        "Any amount from 10 to 500 EUR, in whole euros.\n\n" +
        "A gift card is sent by email, or as a printed gift card by post in a gift envelope.\n\n" +
        "Gift cards cannot be bought with a discount code or another gift card. Gift cards are sold without VAT.\n\n" +
        "## Validity\n\n" +
        "A gift card is valid for three years from the end of the year of purchase.\n\n" +
        "## Company gift cards\n\n" +
        "A company or a club that buys twenty or more gift cards asks for a quote.\n";

    [Fact]
    public void Answer_QuotesThePagesRange_WhenTheCaseStatesAValueInItsUnit()
    {
        var answer = Ask("Can I buy a gift card for 750 EUR for our club's leaving present?", "gift-cards.md", GiftCards);

        Assert.Contains("from 10 to 500 EUR", Text(answer), StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_DoesNotFavourTheRange_WhenTheCaseStatesNoValue()
    {
        var answer = Ask("Can our club buy gift cards for its members?", "gift-cards.md", GiftCards);

        Assert.Contains("a club that buys twenty or more gift cards", Text(answer), StringComparison.Ordinal);
        Assert.DoesNotContain("from 10 to 500 EUR", Text(answer), StringComparison.Ordinal);
    }
}
