using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// Which page retrieval finds when the question's words sit at a passage's edge or are names with a digit in them:
/// an FAQ's question line and the answer under it are one passage, and "sqlite3_limit" is a word, not an order number.
/// </summary>
public sealed class PassageBoundaryRetrievalTests
{
    private static SourceDocument Doc(string path, string title, string text) => GroundingFixture.Doc(path, text, title, classification: "internal");

    // An FAQ as the HTML reader renders one: each question is a short line of its own (bold in the page, no heading),
    // its answer the paragraphs below it.
    private static readonly SourceDocument Faq = Doc("faq.md", "Frequently Asked Questions", string.Join("\n\n",
        "(1) How do I create an AUTOINCREMENT field?",
        "Short answer: a column declared INTEGER PRIMARY KEY will autoincrement. Whenever you insert a NULL into that column, the NULL is converted into an integer one greater than the largest value of that column over all other rows in the table.",
        "(2) What datatypes does the engine support?",
        "The engine uses dynamic typing. Content can be stored as INTEGER, REAL, TEXT, BLOB, or as NULL.",
        "(3) Can I use the engine in a commercial product without paying royalties?",
        "Yes. The engine is in the public domain. No claim of ownership is made to any part of the code."));

    // A page that mentions data types in passing, among other words of the question.
    private static readonly SourceDocument Strict = Doc("strict.md", "Strict Tables", string.Join("\n\n",
        "A strict table only accepts values of the declared column type. The engine supports strict tables since version 3.37: declare them with the STRICT keyword at the end of the CREATE TABLE statement."));

    [Fact]
    public void Search_FindsTheAnswerUnderAnFaqQuestionLine_NotThePreviousAnswer()
    {
        using var index = new PassageIndex();
        index.Upsert([Faq, Strict]);

        var hits = index.Search("What datatypes does the engine support?", 3);

        // Joined to the end of the autoincrement answer, the question's words made that answer the passage for it, and
        // the passage that answers ("Content can be stored as ...") no longer had them.
        Assert.Equal("faq.md", hits[0].Document.Path);
        Assert.Contains("Content can be stored as INTEGER", hits[0].Text, StringComparison.Ordinal);
        Assert.DoesNotContain("autoincrement", hits[0].Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Split_StartsAPassageAtAQuestionLine_AndKeepsProseQuestionsInTheirParagraph()
    {
        var passages = Core.Grounding.PassageSplitter.Split(Faq.Text).Select(p => p.Of(Faq.Text)).ToList();

        Assert.Equal(3, passages.Count);
        Assert.All(passages, p => Assert.StartsWith("(", p, StringComparison.Ordinal));

        // A question inside a paragraph of prose is not a heading: the short paragraphs still join into one passage.
        var prose = "Returns are free within 30 days. Why do we ask for the receipt? It proves the date of purchase.\n\nKeep it with the parcel.";
        Assert.Single(Core.Grounding.PassageSplitter.Split(prose));
    }

    [Fact]
    public void Search_KeepsANameWithADigitInIt_AsTheQuestionsSubject()
    {
        using var index = new PassageIndex();
        index.Upsert(
        [
            Doc("limits.md", "Limits", "The sqlite3_limit() interface lets an application lower the run-time limits of one connection, so that a database opened for untrusted input gets tighter limits than the others."),
            Doc("testing.md", "Test Control", "The purpose of the sqlite3_test_control() interface is to read out internal state and to inject faults for testing. It is not part of the public contract and may change between releases."),
            Doc("about.md", "About", "The purpose of these pages is to explain the engine to those who build on it, from its file format to its query planner."),
        ]);

        var hits = index.Search("What is the purpose of the sqlite3_limit() interface?", 3);

        // Read as an order number, "sqlite3_limit" was dropped and the question searched as "purpose interface".
        Assert.Equal("limits.md", hits[0].Document.Path);
    }

    [Theory]
    [InlineData("000123")]
    [InlineData("34.90")]
    [InlineData("ord12345")]
    [InlineData("2026")]
    public void IsIdentifier_TermsMostlyOfDigits_AreIdentifiers(string term) => Assert.True(PassageIndex.IsIdentifier(term));

    [Theory]
    [InlineData("sqlite3_limit")]
    [InlineData("fts5")]
    [InlineData("utf8")]
    public void IsIdentifier_NamesWithADigit_AreNot(string term) => Assert.False(PassageIndex.IsIdentifier(term));
}
