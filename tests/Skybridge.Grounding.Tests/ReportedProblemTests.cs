using Skybridge.Core.Grounding;
using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// A case that only reports a problem ("Charged twice for SO-1 ... Both booked, statement attached.") asks, without
/// saying so, for it to be put right: the built-in engine answers it with what the page says happens next, not only with
/// the sentences that repeat the report's words (what to check, what to send).
/// </summary>
public sealed class ReportedProblemTests
{
    private const string Page =
        "# Charged twice for one order\n\n" +
        "Seeing the same amount twice on your statement is worrying. Most of the time it is not a real double charge.\n\n" +
        "## Check first\n\n" +
        "- **Pending authorisation.** Card payments are authorised when you order and charged when the parcel ships. For a few days your statement shows both the pending authorisation and the booked charge.\n" +
        "- **Split shipment.** Orders that ship in several parcels are charged per parcel, and each parcel's charge is booked on the same day it ships.\n" +
        "- **Two orders.** Check Account > Orders: if you see two order numbers, you placed the order twice.\n\n" +
        "## If you were charged twice\n\n" +
        "Contact us with:\n\n" +
        "1. your order number;\n" +
        "2. the date and amount of both charges;\n" +
        "3. a PDF of your statement showing both booked charges, other lines hidden if you like.\n\n" +
        "Our billing team checks the payments with the provider. Once billing confirms the duplicate, it is refunded within 3-5 working days to the same card. You get an email when the refund is issued.\n\n" +
        "Please do not open a chargeback with your bank at the same time.\n";

    [Fact]
    public void Answer_QuotesWhatHappensNext_WhenTheCaseOnlyReportsAProblem()
    {
        var text = Text(Ask("Charged twice for SO-496118: 50.01 EUR on 15 Oct and again 50.01 EUR the same day. Both booked, PDF attached.", ("duplicate-charges.md", Page)));
        Assert.Contains("refunded within 3-5 working days", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AnswerAskOf_ReadsAReportAsAskingWhatHappensNext()
    {
        var ask = AnswerShapes.AnswerAskOf("Double charge on SO-1: 64.90 twice, both booked on 18 Oct. Statement attached.", Words);
        Assert.NotNull(ask);
        Assert.Equal(AnswerShape.Outcome, ask.Shape);
        Assert.Null(AnswerShapes.AskOf("Double charge on SO-1: 64.90 twice, both booked on 18 Oct. Statement attached.", Words));
    }

    [Fact]
    public void AnswerAskOf_IsTheAsk_WhenTheCaseAsks()
    {
        const string Ticket = "My order came yesterday. How long do I have to return it?";
        Assert.Equal(AnswerShapes.AskOf(Ticket, Words), AnswerShapes.AnswerAskOf(Ticket, Words));
        Assert.Null(AnswerShapes.AnswerAskOf("  ", Words));
    }

    [Theory]
    [InlineData("in memory db")]
    [InlineData("limits")]
    [InlineData("Foreign keys.")]
    [InlineData("write-ahead log checkpoint threshold")]
    public void AnswerAskOf_LeavesASearchOfAFewWordsUnread(string search)
    {
        // Words typed into a search box ask nothing and report nothing: no shape is forced on them.
        Assert.Null(AnswerShapes.AnswerAskOf(search, Words));
    }

    private static IReadOnlyCollection<string> Words(string text) =>
        text.Split([' ', '.', ',', '?', '!', ':'], StringSplitOptions.RemoveEmptyEntries).Select(w => w.ToLowerInvariant()).ToList();
}
