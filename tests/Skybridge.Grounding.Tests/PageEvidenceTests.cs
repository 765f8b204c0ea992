using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Tests;

/// <summary>Which page retrieval puts first: the page about the question's subject, over a page that mentions it once.</summary>
public sealed class PageEvidenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SourceDocument Doc(string path, string title, string text) => GroundingFixture.Doc(path, text, title, classification: "internal");

    // The page about the write-ahead log: three passages, each about it from another side.
    private static readonly SourceDocument Wal = Doc("wal.md", "Write-Ahead Logging", string.Join("\n\n",
        "The write-ahead log is a way to implement atomic commit and rollback. Instead of changing the database file and keeping a copy of the original pages in a rollback journal, the write-ahead log keeps the original database unchanged and appends every change to a separate log file. A commit is a record appended to the log, so readers carry on while a writer commits.",
        "A checkpoint moves the pages collected in the write-ahead log back into the database file. Checkpoints run automatically when the log reaches a thousand pages, and an application can run one itself at any time. Until the checkpoint, readers find the newest version of each page in the log instead of in the database file.",
        "Readers and writers do not block each other in write-ahead log mode, because each reader remembers the last valid commit record in the log when its transaction starts and ignores anything appended later. Only one writer at a time can append to the log, and all processes that use the database must be on the same host computer."));

    // A release log: one passage names the write-ahead log in passing, among unrelated changes.
    private static readonly SourceDocument Changes = Doc("changes.md", "Release History", string.Join("\n\n",
        "Version 3.7.0 added the write-ahead log. How does the write-ahead log work? The write-ahead log works by appending each change to a separate log file.",
        "Version 3.6.23: fixed a crash in the query planner when an index on an expression was dropped while a statement was running. Added new compile-time options for the memory allocator and for the default page cache size of new connections. The command-line shell now prints timing figures with three decimals, the amalgamation gained a few comments for those who read it, and the test suite covers two more corner cases of the date and time functions, one about leap seconds and one about the Julian day number of the year zero.",
        "Version 3.6.22: the shell learned a new dot-command to print the schema of virtual tables, and the amalgamation builds without warnings on the newest compilers. Fixed a rare bug in the handling of very long strings in the LIKE operator. The documentation of the date and time functions was rewritten with more examples, the build scripts now find the Tcl installation on more systems, and the default size of the lookaside memory allocator was raised for connections that prepare many statements at once."));

    private const string Question = "How does the write-ahead log work?";

    [Fact]
    public async Task Search_PutsThePageAboutTheSubjectFirst_OverAPageThatMentionsItOnce_WithMeaning()
    {
        using var fused = new PassageIndex(new DenseRetrieval(MiniLmSentenceEmbedder.Instance));
        await fused.UpsertAsync([Wal, Changes], Ct);

        var hits = fused.Search(Question, 5);

        // The release note repeats the question's words (first by BM25) and is close in meaning (second); the page's own
        // first passage is first by meaning and second by BM25: by rank alone the two tie, and BM25 broke the tie for the
        // release note. The page's second passage matching too is what says which page is about the subject.
        Assert.Equal(RetrievalModes.Fused, fused.Mode);
        Assert.Equal(["wal.md", "wal.md", "changes.md"], hits.Take(3).Select(h => h.Document.Path));
        Assert.StartsWith("The write-ahead log is a way", hits[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Search_KeepsBm25Order_ByWordsOnly()
    {
        // By words alone a page's other passages are no evidence (long pages repeat the question's words without being
        // about it; docs/performance.md, "Which page answers"): BM25's order is what is returned.
        using var words = new PassageIndex();
        words.Upsert([Wal, Changes]);

        var hits = words.Search(Question, 5);

        Assert.Equal(RetrievalModes.Words, words.Mode);
        Assert.Equal("changes.md", hits[0].Document.Path);
        Assert.Equal(hits.OrderByDescending(h => h.Score).Select(h => h.Span), hits.Select(h => h.Span));
    }

    [Fact]
    public void WithPageEvidence_APassageGainsATenthOfItsPagesBestOtherPassage()
    {
        var once = ("changes.md", new Skybridge.Core.Grounding.TextSpan(0, 10));
        var first = ("wal.md", new Skybridge.Core.Grounding.TextSpan(0, 10));
        var second = ("wal.md", new Skybridge.Core.Grounding.TextSpan(10, 20));
        var fused = new Dictionary<(string DocKey, Skybridge.Core.Grounding.TextSpan Span), double> { [once] = 0.033, [first] = 0.032, [second] = 0.030 };

        var scored = PassageIndex.WithPageEvidence(fused);

        Assert.Equal(0.033, scored[once], 9);
        Assert.Equal(0.032 + (0.1 * 0.030), scored[first], 9);
        Assert.Equal(0.030 + (0.1 * 0.032), scored[second], 9);
        Assert.True(scored[first] > scored[once]);
    }
}
