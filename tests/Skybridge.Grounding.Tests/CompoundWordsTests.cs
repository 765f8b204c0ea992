using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;
using static Skybridge.Grounding.Tests.ExtractiveRig;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// A word the question runs together that the pages write apart ("pagesize" and "page size"), or two words it writes
/// apart that the pages run together ("auto vacuum" and "autovacuum"), is found and quoted as the pages write it.
/// </summary>
public sealed class CompoundWordsTests
{
    private static SourceDocument Doc(string path, string title, string text) => GroundingFixture.Doc(path, text, title, classification: "internal");

    private const string Format =
        "# File format\n\n" +
        "The page size is a power of two between 512 and 65536 inclusive. Every page in a database has the same size. " +
        "The header says which format version wrote the file. Readers check it before anything else.\n";

    private const string Planner =
        "# Query planner\n\n" +
        "The planner may pick any join order it likes. It estimates the cost of each order it can pick. " +
        "Statistics gathered by the analyze command help it pick. Without them it guesses.\n";

    [Fact]
    public void Splits_FindsTheTwoKnownWords_OfAnUnknownRunTogetherWord()
    {
        using var index = new PassageIndex();
        var known = new HashSet<string>(index.Terms("page size planner"), StringComparer.Ordinal);

        var splits = CompoundWords.Splits("what pagesize can i pick", index.Terms, known.Contains);

        var split = Assert.Single(splits);
        Assert.Equal(("page", "size"), (split.First, split.Second));
    }

    [Fact]
    public void Splits_LeavesAKnownWordAlone()
    {
        using var index = new PassageIndex();
        var known = new HashSet<string>(index.Terms("pagesize page size"), StringComparer.Ordinal);

        Assert.Empty(CompoundWords.Splits("what pagesize can i pick", index.Terms, known.Contains));
    }

    [Fact]
    public void Joins_SkipsAStopWord_SoSizeOfIsNeverSizeof()
    {
        using var index = new PassageIndex();
        var known = new HashSet<string>(index.Terms("sizeof autovacuum"), StringComparer.Ordinal);

        var joins = CompoundWords.Joins("the size of an auto vacuum", index.Terms, known.Contains);

        Assert.Equal(["autovacuum"], joins.Select(j => j.First + j.Second));
    }

    [Theory]
    [InlineData("The page size is 4096.", true)]
    [InlineData("a read-only database", true)]
    [InlineData("the homepage size", false)]
    public void WrittenApart_MatchesASpaceOrHyphen_AtAWordStart(string text, bool expected)
    {
        var (first, second) = text.Contains("read", StringComparison.Ordinal) ? ("read", "only") : ("page", "size");
        Assert.Equal(expected, CompoundWords.WrittenApart(text, first, second));
    }

    [Fact]
    public void Search_FindsThePageThatWritesTheWordApart_ByWords()
    {
        using var index = new PassageIndex();
        index.Upsert([Doc("planner.md", "Query planner", Planner), Doc("format.md", "File format", Format)]);

        var hits = index.Search("what pagesize can i pick", 2);

        Assert.Equal("format.md", hits[0].Document.Path);
    }
}
