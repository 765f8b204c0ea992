using Skybridge.Grounding.Engines;
using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// The built-in engine quotes what it chooses whole, on small hand-written pages: every step of the procedure a "how do
/// I" question asks for, a list item with all its sentences, and a short paragraph with the sentence that goes on from
/// the chosen one.
/// </summary>
public sealed class WholeQuoteTests
{
    private const string ChangeEmail =
        "# Changing your email address\n\nYour email address is your sign-in name. You can change it yourself at any time.\n\n" +
        "## Change it in your account\n\n" +
        "1. Sign in and open Account > Profile.\n" +
        "2. Click Change next to your email address.\n" +
        "3. Enter the new address and confirm with your current password.\n" +
        "4. Open the confirmation email we send to the new address and click the link. It works for 24 hours.\n\n" +
        "## What changes\n\n- New orders use the new email address for all emails.\n";

    [Fact]
    public void Answer_QuotesEveryStepInOrder_ForAHowDoIQuestion()
    {
        var text = Text(Ask("How do I change the email address on my account?", ("change-email.md", ChangeEmail)));
        var first = text.IndexOf("Sign in and open Account > Profile.", StringComparison.Ordinal);
        var last = text.IndexOf("It works for 24 hours.", StringComparison.Ordinal);
        Assert.True(first >= 0, text);
        Assert.True(last > first, text);
        Assert.True(text.IndexOf("Enter the new address", StringComparison.Ordinal) is var third && third > first && third < last, text);
    }

    [Fact]
    public void Answer_QuotesTheStepsAroundTheChosenStep_ForAQuestionThatIsNotAHowTo()
    {
        // The step that names the button shares the question's words; the next step says what the reader must know.
        var text = Text(Ask("If I click Notify me for the jacket, do you keep one for me?",
            ("stock.md", "# Back-in-stock emails\n\n1. On the product page, choose your size and colour.\n2. Click Notify me and enter your email address.\n3. We send one email when the item is back. Popular sizes can sell out again quickly.\n\nYou can manage your emails in your account.")));
        Assert.Contains("Click Notify me and enter your email address.", text, StringComparison.Ordinal);
        Assert.Contains("Popular sizes can sell out again quickly.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesTheOtherItemsOfAShortList_WithTheChosenItem()
    {
        // The other items share no word with the question; they are the alternatives the reader has.
        var text = Text(Ask("Is a liquid fuel stove better in deep cold?",
            ("stove.md", "# Too cold\n\nBelow zero, butane barely vaporises.\n\n- Keep the cartridge warm in your jacket.\n- Use a winter gas mix, which works down to -10 °C.\n- In deep cold, a liquid fuel stove is more reliable.\n\n# Still not lighting\n\nFile a warranty claim.")));
        Assert.Contains("In deep cold, a liquid fuel stove is more reliable.", text, StringComparison.Ordinal);
        Assert.Contains("Use a winter gas mix, which works down to -10 °C.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesTheShortListAfterAOneSentenceParagraph_ThatIntroducesItWithoutAColon()
    {
        var text = Text(Ask("My gas stove barely lights below zero. What can I do?",
            ("stove.md", "# Too cold\n\nBelow zero, standard gas barely vaporises and the stove barely lights.\n\n- Keep the cartridge warm in your jacket.\n- Use a winter mix, which works down to -10 °C.\n\n# Still not working\n\nFile a warranty claim with a short video.")));
        Assert.Contains("Below zero, standard gas barely vaporises", text, StringComparison.Ordinal);
        Assert.Contains("Use a winter mix, which works down to -10 °C.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesTheWholeListItem_WhenItChoosesOneOfItsSentences()
    {
        // The second sentence of the item shares no word with the question, yet it is what the reader must know.
        var text = Text(Ask("Where do I find the reset link?",
            ("reset.md", "# Reset it\n\n- Open the email with the reset link. Each one expires after 60 minutes and works only once.\n- Choose a new password of at least 10 characters.\n\nWe never send reset links you did not ask for.")));
        Assert.Contains("Each one expires after 60 minutes and works only once.", text, StringComparison.Ordinal);
        Assert.Contains("Open the email with the reset link.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesTheRestOfAShortParagraph_WithTheChosenSentence()
    {
        var text = Text(Ask("My account is locked after wrong passwords. How long?",
            ("password.md", "# Locked account\n\nAfter five wrong passwords in a row, your account is locked for 15 minutes. A reset link unlocks it at once.\n\n# Staying safe\n\nWe never ask for your password.")));
        Assert.Contains("locked for 15 minutes.", text, StringComparison.Ordinal);
        Assert.Contains("A reset link unlocks it at once.", text, StringComparison.Ordinal);
    }
}
