using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// On the page it answers from, the built-in engine quotes beside its best sentence a sentence that holds fewer of the
/// question's words, down to a fifth of the best one's score: the sentence that says what follows from the case ("The
/// copy then might contain some old and some new content, and thus be corrupt.") rarely repeats the question's words, and
/// a sentence that repeats them scores several times as much (docs/performance.md, "Right page, fact not quoted").
/// </summary>
public sealed class FollowerShareTests
{
    // Paragraphs of more than three sentences, so none is quoted whole and the choice of sentences decides.
    private const string CopyPage =
        "# How to damage a database\n\n" +
        "Copy the database file only when no application writes to it. Widget keeps its pages in one file. " +
        "Widget reads pages in large blocks. Widget writes pages through a cache.\n\n" +
        "## Background backups\n\n" +
        "Tools that run in the background sometimes take a snapshot of every database they find on the disk at night. " +
        "A copy of a database file taken that way in the middle of a transaction might contain some old and some new content, and thus be corrupt. " +
        "Nightly tools rarely ask first. Most of them run at two in the morning.\n";

    [Fact]
    public void Answer_QuotesASentenceScoringAFifthOfTheBest_WhenItIsOnTheChosenPage()
    {
        var text = Text(Ask("Can I copy the database file while an application writes to it?", ("corrupt.md", CopyPage)));

        Assert.Contains("Copy the database file only when no application writes to it.", text, StringComparison.Ordinal);
        Assert.Contains("might contain some old and some new content, and thus be corrupt", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_LeavesOutSentencesThatShareNoneOfTheQuestionsWords()
    {
        // The lower share lets in sentences that share the question's words, not every sentence of the page.
        var text = Text(Ask("Can I copy the database file while an application writes to it?", ("corrupt.md", CopyPage)));

        Assert.DoesNotContain("Nightly tools rarely ask first.", text, StringComparison.Ordinal);
    }
}
