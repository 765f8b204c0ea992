using Skybridge.Grounding.Engines;
using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// Which sentences the built-in engine quotes: the one that states what the question asks (a number for "how many", a
/// definition for "what is"), never a question or a lead-in, from one page per question, and each question of a
/// two-question sentence answered.
/// </summary>
public sealed class SentenceChoiceTests
{
    [Fact]
    public void Split_MakesTwoQuestionsOfOneSentenceThatAsksTwo()
    {
        Assert.Equal(["Are foreign keys on by default", "how do I enable them?"], Texts("Are foreign keys on by default, and how do I enable them?"));
        Assert.Equal(["Which version added strict tables", "which added generated columns?"], Texts("Which version added strict tables and which added generated columns?"));
        Assert.Equal(["What is a partial index?"], Texts("What is a partial index?"));
        Assert.Equal(["Can I return boots and is the label free?"], Texts("Can I return boots and is the label free?"));
    }

    private static string[] Texts(string question) => [.. Skybridge.Core.Grounding.QuestionReading.Parts(question).Select(p => p.Text)];

    [Fact]
    public void Answer_QuotesTheDefiningSentence_ForAWhatIsQuestion()
    {
        var answer = Ask("What is a partial index?",
            ("indexes.md", "If an index has a WHERE clause, then it is a partial index. Partial index rows skip the partial index scan. Some partial index examples follow. A partial index is an index over a subset of the rows of a table."));
        Assert.Contains("A partial index is an index over a subset of the rows of a table.", Text(answer), StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesTheSentenceWithANumber_ForAHowManyQuestion()
    {
        var answer = Ask("How many attached databases are allowed?",
            ("limits.md", "Attached databases are listed by the database list command. Attached databases share one connection. Attached databases have a schema name. Attached databases are read like the main database. Detached databases are closed at once. The number of attached databases is limited to 10 by default, and the limit cannot be raised above 125."));
        Assert.Contains("limited to 10 by default", Text(answer), StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_NeverQuotesAQuestion_WhenAStatementAnswersIt()
    {
        var answer = Ask("How do I create an autoincrement field?",
            ("faq.md", "(1) How do I create an autoincrement field? Short answer: a column declared as integer primary key will autoincrement when a null is inserted."));
        Assert.DoesNotContain(answer.Claims, c => c.Text.EndsWith('?'));
        Assert.Contains("will autoincrement", Text(answer), StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesTheSentenceThatGoesOnFromTheSubject_WhenItHoldsTheNumber()
    {
        var answer = Ask("What is the maximum length of a string by default?",
            ("limits.md", "The maximum length of a string is defined by the macro MAX_LENGTH. The maximum length of a string can be lowered at run time. The maximum length of a string is checked on every insert. The default value of this macro is 1 billion."));
        Assert.Contains("The default value of this macro is 1 billion.", Text(answer), StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_CitesOnlyThePageItQuotes_WhenAnotherPageOnlyMentionsTheSubject()
    {
        var answer = Ask("How long is the return window for boots?",
            ("returns.md", "Boots can be returned within 30 days of delivery. The return window for boots starts on the day of delivery."),
            ("care.md", "Waterproof boots need wax after each return from a long walk in the rain."));
        var cited = answer.Claims.SelectMany(c => c.Citations).Select(c => c.Passage).Distinct().ToList();
        Assert.Equal(["P1"], cited);
    }

    [Fact]
    public void Answer_AnswersBothQuestions_OfASentenceThatAsksTwo()
    {
        var answer = Ask("Are foreign keys on by default, and how do I enable them?",
            ("foreignkeys.md", "Foreign key constraints are disabled by default. Foreign key support is compiled in by default. Foreign key constraints are checked at the end of each statement by default. Foreign key errors are reported by default. To enable them, run the statement PRAGMA foreign_keys = ON on each connection."));
        var text = Text(answer);
        Assert.Contains("Foreign key constraints are disabled by default.", text, StringComparison.Ordinal);
        Assert.Contains("PRAGMA foreign_keys = ON", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesASentenceWithTheAnswersShape_ThatSharesOneWordFewer()
    {
        var answer = Ask("How long is the account locked?",
            ("password-reset.md", "Your account is locked after five wrong passwords. The lock ends after 15 minutes."));
        Assert.Contains("The lock ends after 15 minutes.", Text(answer), StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_ReadsATableRowWithItsHeader_SoTheHeadersWordsMatchTheQuestion()
    {
        var answer = Ask("Where do I send a refund request for PayPal?",
            ("refunds.md", "PayPal payments are charged at once.\n\n| Payment | Refund requests |\n|---|---|\n| PayPal | through the PayPal resolution centre |\n| Card | by email to the shop |\n"));
        var text = Text(answer);
        Assert.Contains("through the PayPal resolution centre", text, StringComparison.Ordinal);
        Assert.DoesNotContain("charged at once", text, StringComparison.Ordinal);
    }
}
