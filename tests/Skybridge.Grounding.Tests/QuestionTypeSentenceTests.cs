using Skybridge.Grounding.Engines;
using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// The sentence of the right page that answers the kind of question asked: for "what does X do" the sentence in which X
/// acts (or the description under X's syntax line), never the syntax line or a sentence about something X takes part
/// in; for "what values / which modes" the sentence or line that names them.
/// </summary>
public sealed class QuestionTypeSentenceTests
{
    [Fact]
    public void Answer_QuotesTheDescriptionUnderTheSyntaxLine_NotTheSyntaxLine_ForAWhatDoesItDoQuestion()
    {
        var answer = Ask("What does the lock_timeout pragma do?", "pragma.md",
            "PRAGMA lock_timeout;\nPRAGMA lock_timeout = milliseconds;\n\nQuery or change the setting of the lock timeout. This pragma is an alternative to the C interface of the same name.\n\nEach connection has a single lock handler.");
        var text = Text(answer);
        Assert.Contains("Query or change the setting of the lock timeout.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("= milliseconds", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesTheSentenceInWhichTheSubjectActs_OverSentencesThatOnlyOpenWithIt()
    {
        var answer = Ask("What does VACUUM do?", "vacuum.md",
            "A VACUUM will fail if there is an open transaction. A VACUUM might fail if there are unfinished statements. Running VACUUM is a way to reclaim space. Using VACUUM is an alternative to secure deletion. The VACUUM command rebuilds the database file, repacking it into a minimal amount of disk space.");
        Assert.Contains("The VACUUM command rebuilds the database file", Text(answer), StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesTheEnumeration_ForAValuesQuestion()
    {
        var answer = Ask("What journal modes are there?", "pragma.md",
            "The new journal mode is returned. The journal mode can be changed at any time. The journal mode is kept per file. The journal mode can be DELETE, TRUNCATE, PERSIST, MEMORY, WAL or OFF.");
        Assert.Contains("DELETE, TRUNCATE, PERSIST, MEMORY, WAL or OFF", Text(answer), StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesTheLeadInThatCountsTheValues_ForAValuesQuestion()
    {
        var answer = Ask("What threading modes does SQLite have?", "threads.md",
            "SQLite supports three different threading modes:\n\n- Single-thread. In this mode, all mutexes are disabled.\n- Multi-thread. In this mode, SQLite can be used by several threads.\n- Serialized. In serialized mode, SQLite can be used by threads without restriction.\n\nThe threading mode of SQLite can be chosen at compile time.");
        Assert.Contains("SQLite supports three different threading modes:", Text(answer), StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_PrefersTheDefinitionThatOpensASection_ForAWhatIsQuestion()
    {
        var answer = Ask("What is a virtual table?", "vtab.md",
            "A virtual table is an extension point. A virtual table is a module instance. A virtual table is an interface point.\n\n# Introduction\n\nA virtual table is an object registered with a database connection.");
        Assert.Contains("A virtual table is an object registered with a database connection.", Text(answer), StringComparison.Ordinal);
    }

    [Fact]
    public void Answer_QuotesAListItemWithItsLabel_SoThatThisModeSaysWhichMode()
    {
        var answer = Ask("What is single-thread mode?", "threads.md",
            "SQLite supports three different threading modes:\n\n- Single-thread. In this mode, all mutexes are disabled and SQLite is unsafe to use in more than a single thread at once.\n- Multi-thread. In this mode, SQLite can be used by several threads.\n");
        var claim = Assert.Single(answer.Claims, c => c.Text.Contains("all mutexes are disabled", StringComparison.Ordinal));
        Assert.StartsWith("Single-thread. In this mode, all mutexes are disabled", claim.Text, StringComparison.Ordinal);
        Assert.StartsWith("Single-thread. In this mode", Assert.Single(claim.Citations).Quote, StringComparison.Ordinal);
    }
}
