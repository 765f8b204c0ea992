using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// A line of code with a C comment ("sqlite3 *pDb, /* Database to back up */") is an argument of a declaration: its
/// comment shares the question's words, but it answers nothing. The built-in engine quotes the first-ranked page's
/// sentences in words instead of such a line from a passage ranked below it.
/// </summary>
public sealed class CodeCommentTests
{
    private const string Shell =
        "# Command Line Shell For SQLite\n\n" +
        "The sqlite3 program reads SQL statements and dot-commands from standard input and prints their results. " +
        "To copy a database to a file, use the .backup command of the shell; .restore reads the copy into a database again.\n";

    private const string Api =
        "# Online Backup API\n\n" +
        "sqlite3_backup *sqlite3_backup_init(\n" +
        "sqlite3 *pDest, /* Destination database handle */\n" +
        "sqlite3 *pDb, /* Database to back up */\n" +
        "const char *zSourceName /* Source database name */\n" +
        ");\n";

    [Fact]
    public void Answer_QuotesTheSentenceInWords_NotALineOfCodeWhoseCommentSharesTheQuestionsWords()
    {
        var answer = Ask("how do i back up a db from the sqlite3 shell", ("cli.html", Shell), ("backup.html", Api));

        Assert.Contains(".backup command of the shell", Text(answer), StringComparison.Ordinal);
        Assert.DoesNotContain("/*", Text(answer), StringComparison.Ordinal);
        Assert.All(answer.Claims.SelectMany(c => c.Citations), c => Assert.Equal("P1", c.Passage));
    }

    [Fact]
    public void Answer_StillQuotesACodeLine_WhenNoSentenceInWordsSharesTheQuestionsWords()
    {
        var answer = Ask("what does the pDb argument of sqlite3_backup_init back up?", ("backup.html", Api));

        Assert.Contains("Database to back up", Text(answer), StringComparison.Ordinal);
    }
}
