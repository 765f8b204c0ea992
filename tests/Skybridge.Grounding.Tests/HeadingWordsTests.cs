using Skybridge.Grounding.Engines;
using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// The built-in engine reads a sentence with the heading it stands under: a section titled "No access to your old
/// address" answers a customer whose old address is gone, though its sentences ("Write to us from your new email address")
/// never say "old" or "access" again. Only the words a heading adds to the page's title count: every section of a page
/// about email addresses is about email addresses.
/// </summary>
public sealed class HeadingWordsTests
{
    private static EngineAnswer Ask(string question, string title, string text) =>
        ExtractiveChatClient.Answer(new AnswerRequest(question, [new PromptPassage("P1", "change-email.md", title, text)]));

    private const string Title = "Changing your email address";

    private const string Page =
        "# Changing your email address\n\n" +
        "Your email address is your sign-in name. You can change the address yourself at any time.\n\n" +
        "## What changes\n\n" +
        "New orders use the new address for all emails. Orders placed before the change keep the old address for their emails. " +
        "Invoices show the address you ordered with. Tracking links work either way.\n\n" +
        "## No access to your old address\n\n" +
        "Write to us from your new email address and we make the change, usually within 1 working day. " +
        "Name an order number so we can check who you are. We then send a confirmation. Orders stay in your account.\n";

    [Fact]
    public void Answer_QuotesTheSection_WhoseHeadingHoldsTheQuestionsWords()
    {
        var text = Text(Ask("My old email address no longer exists and I have no access to it. What now?", Title, Page));
        Assert.Contains("usually within 1 working day", text, StringComparison.Ordinal);
    }

    // A page of limits as HTML lists it: each item opens with its title in bold, its text beneath (HtmlReader renders
    // the title as the item's first line and the text indented under it).
    private const string Limits =
        "- Maximum length of a string or BLOB\n" +
        "  The maximum number of bytes in a string or BLOB is defined by the macro SQLITE_MAX_LENGTH. " +
        "The default value of this macro is 1 billion. In fact, you might do well to lower the maximum string and blob length to a few million.\n" +
        "- Maximum number of columns\n" +
        "  The default setting for SQLITE_MAX_COLUMN is 2000.\n";

    [Fact]
    public void Answer_NeverQuotesAListItemsTitle_AndReadsItsTextUnderIt()
    {
        var answer = ExtractiveRig.Ask("What is the maximum length of a string or BLOB?", "limits.html", Limits);

        var quotes = answer.Claims.SelectMany(c => c.Citations).Select(c => c.Quote).ToList();
        Assert.NotEmpty(quotes);
        Assert.DoesNotContain(quotes, q => q.Contains("Maximum length of a string or BLOB", StringComparison.Ordinal));
        Assert.Contains(quotes, q => q.Contains("The maximum number of bytes in a string or BLOB", StringComparison.Ordinal));
    }

    [Fact]
    public void Answer_QuotesAListItemThatIsItsOwnStatement()
    {
        // Items that are statements of their own, one line each, are not titles: nothing is indented under them.
        var answer = ExtractiveRig.Ask("Can I pay with PayPal?", "payment.md",
            "You can pay with:\n- Visa and Mastercard credit cards\n- PayPal for orders up to 2000 EUR\n- Invoice for business customers\n");

        Assert.Contains("PayPal for orders up to 2000 EUR", Text(answer), StringComparison.Ordinal);
    }
}
