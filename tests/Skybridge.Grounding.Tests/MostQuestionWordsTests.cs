using Skybridge.Grounding.Engines;
using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// On the page it answers from, the built-in engine does not let a short sentence that holds a few of the question's
/// words push out the long one that holds the most of them: the long sentence is often the one that states the answer
/// ("Widget supports a strict typing mode, as of version 3.37.0, ..."), its length is what dilutes its score.
/// </summary>
public sealed class MostQuestionWordsTests
{
    // Paragraphs of more than three sentences, so none is quoted whole and the choice of sentences decides.
    private const string StrictPage =
        "# Strict tables\n\n" +
        "Some developers like the flexible typing of Widget and use it to their advantage. Others prefer the rigid types of other engines. " +
        "For this latter group of developers, who dislike the flexible rules and would rather have every value checked as it is written, Widget supports a strict typing mode, as of version 3.37.0 released in November of that year, that is enabled separately for each table with a keyword at the end of its definition. " +
        "The rest of this page describes it.\n\n" +
        "## Reading strict tables\n\n" +
        "Strict tables need Widget version 3.37.0 or later. Widget versions before 3.37.0 cannot read strict tables. Strict tables in Widget version 3.38.0 also reject NaN. " +
        "A Widget database without strict tables opens in every version back to 3.0.0.\n\n" +
        "## Other features\n\n" +
        "Widget supports JSON values. Widget supports dates and times. Widget supports full-text search. Widget supports window functions.\n";

    [Fact]
    public void Answer_QuotesTheSentenceWithTheMostQuestionWords_OverShorterOnesWithFewer()
    {
        var text = Text(Ask("Since which version does Widget support STRICT tables?", ("strict.md", StrictPage)));
        Assert.Contains("Widget supports a strict typing mode, as of version 3.37.0", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_KeepsTheShorterSentences_BesideTheOneWithTheMostQuestionWords()
    {
        // The rule lifts the long sentence to the top, it does not take the others out of the answer.
        var text = Text(Ask("Since which version does Widget support STRICT tables?", ("strict.md", StrictPage)));
        Assert.Contains("Strict tables need Widget version 3.37.0 or later.", text, StringComparison.Ordinal);
    }
}
