using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// Abstention judged from what the sources cover: a small documentation set about one product (Quillbase, named on
/// every page and in every title), which mentions other products in passing.
/// </summary>
public sealed class AbstentionScopeTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SourceDocument Doc(string path, string title, string text) => GroundingFixture.Doc(path, text, title);

    // Thirty more pages about Quillbase's own features, so the pages that mention MySQL are few among many (3 of 38).
    private static readonly string[] Features =
    [
        "vacuum", "checkpoint", "savepoint", "trigger", "view", "index", "collation", "journal", "backup", "shell",
        "attach", "analyze", "explain", "upsert", "window", "returning", "strict", "generated", "foreign", "virtual",
        "blob", "text", "integer", "real", "null", "pragma", "limit", "offset", "join", "cast",
    ];

    private static readonly SourceDocument[] Documentation =
    [
        .. Features.Select(f => Doc(f + ".html", "Quillbase " + char.ToUpperInvariant(f[0]) + f[1..], $"This page of the Quillbase manual describes {f} handling in Quillbase and how the {f} statement is parsed.")),
        Doc("server.html", "Quillbase Is Serverless",
            "Quillbase needs no server process. A MySQL server listens on a default port for clients; Quillbase reads and writes an ordinary file instead."),
        Doc("autoinc.html", "Quillbase Autoincrement",
            "The AUTOINCREMENT keyword in Quillbase prevents the reuse of rowids, which is close to how MySQL behaves with its auto increment columns."),
        Doc("rtree.html", "The Quillbase R*Tree Module",
            "An R*Tree index in Quillbase has between one and five dimensions. Each R*Tree dimension is a pair of columns."),
        Doc("json.html", "Quillbase JSON Functions",
            "The json() function in Quillbase checks its argument and returns a minified JSON string. The json_extract() function returns one value."),
        Doc("releases.html", "Quillbase Release History",
            "Quillbase 2.8.1 fixes a crash in the query planner. Quillbase 2.8.0 adds the json() function. Quillbase version 2.7.3 fixes a leak."),
        Doc("licence.html", "Quillbase Licence And Prices",
            "Quillbase is free for everyone. The Quillbase Encryption Extension costs 2000 dollars for a perpetual licence; students of the Quillbase course get the course notes free."),
        Doc("limits.html", "Quillbase Limits",
            "A Quillbase database holds at most 10 attached databases by default. The default page size of Quillbase is 4096 bytes."),
        Doc("pragma.html", "Quillbase Pragmas",
            "The busy_timeout pragma of Quillbase sets how long a connection waits for a lock. PostgreSQL servers and MySQL servers use other settings."),
    ];

    private readonly PassageIndex _index = new();

    public AbstentionScopeTests() => _index.Upsert(Documentation);

    public void Dispose() => _index.Dispose();

    private static WorkflowManifest Manifest(double mentionedBelow = 0.1) => GroundingFixture.Manifest() with
    {
        Id = "quillbase-docs",
        Retrieval = new RetrievalSettings { TopK = 5, MinScore = 0.2, AbstainBelow = 0.2, MentionedBelow = mentionedBelow },
    };

    private Task<Draft> AskAsync(string question, double mentionedBelow = 0.1) =>
        new GroundedAnswerer(Manifest(mentionedBelow), _index, new ExtractiveChatClient()).AnswerAsync(question, Ct);

    [Fact]
    public async Task AnswerAsync_AbstainsWithOtherProduct_ForAProductTheSourcesOnlyMention()
    {
        var draft = await AskAsync("What is the default port of a MySQL server?");
        Assert.True(draft.Abstained);
        Assert.Equal("other_product_or_version", draft.Reason);
        Assert.Contains("'MySQL'", draft.ReasonDetail, StringComparison.Ordinal);
        Assert.Contains("Quillbase", draft.ReasonDetail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnswerAsync_Answers_WhenTheOtherProductIsOnlyComparedWith()
    {
        var draft = await AskAsync("Does AUTOINCREMENT prevent the reuse of rowids like in MySQL?");
        Assert.False(draft.Abstained, draft.ReasonDetail);
        Assert.Contains(draft.Citations, c => c.Document == "autoinc.html");
    }

    [Fact]
    public async Task AnswerAsync_Answers_ANameATitleCarries_HoweverFewPagesUseIt()
    {
        var draft = await AskAsync("How many dimensions can an R*Tree index have?");
        Assert.False(draft.Abstained, draft.ReasonDetail);
    }

    [Fact]
    public async Task AnswerAsync_Answers_AProductOnlyMentioned_WhenTheCheckIsOff()
    {
        var draft = await AskAsync("What is the default port of a MySQL server?", mentionedBelow: 0);
        Assert.NotEqual("other_product_or_version", draft.Reason);
    }

    [Fact]
    public async Task AnswerAsync_AbstainsWithOtherProductOrVersion_ForALaterVersionThanTheSourcesCover()
    {
        var draft = await AskAsync("Which crash in the query planner does Quillbase 2.9 fix?");
        Assert.True(draft.Abstained);
        Assert.Equal("other_product_or_version", draft.Reason);
        Assert.Contains("2.8.1", draft.ReasonDetail, StringComparison.Ordinal);

        var covered = await AskAsync("Which crash does Quillbase 2.8.1 fix?");
        Assert.NotEqual("other_product_or_version", covered.Reason);
    }

    [Fact]
    public async Task AnswerAsync_AbstainsWithKeyTermsMissing_ForAFunctionNoSourceNames_EvenOneEditFromAKnownOne()
    {
        var draft = await AskAsync("What does the jsonb() function return in Quillbase?");
        Assert.True(draft.Abstained);
        Assert.Equal("key_terms_missing", draft.Reason);
        Assert.Contains("jsonb()", draft.ReasonDetail, StringComparison.Ordinal);

        var known = await AskAsync("What does the json() function return in Quillbase?");
        Assert.False(known.Abstained, known.ReasonDetail);
    }

    [Fact]
    public async Task AnswerAsync_AbstainsWithFocusMissing_WhenTheAskedAboutPhraseIsNotInTheSources()
    {
        var draft = await AskAsync("Is there a student discount on the Quillbase Encryption Extension?");
        Assert.True(draft.Abstained);
        Assert.Equal("focus_missing", draft.Reason);
        Assert.Contains("'discount'", draft.ReasonDetail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnswerAsync_AbstainsWithOpinion_ForAQuestionAboutTheAssistantsTaste()
    {
        var draft = await AskAsync("Do you personally like Quillbase more than PostgreSQL servers?");
        Assert.True(draft.Abstained);
        Assert.Equal("opinion", draft.Reason);
    }

    [Fact]
    public async Task AnswerAsync_AbstainsWithPrivateData_ForTheAskersOwnSystems()
    {
        var draft = await AskAsync("How many attached databases does my Quillbase database have right now?");
        Assert.True(draft.Abstained);
        Assert.Equal("private_data", draft.Reason);
    }

    [Fact]
    public async Task AnswerAsync_HasNoSubject_WhenTheCommonNameIsInNoTitle()
    {
        // A help centre whose every page ends with its opening hours: "Monday" is on every page but no title is about it,
        // so a question naming a city it never mentions (Leipzig) is not about another product.
        using var index = new PassageIndex();
        index.Upsert([
            Doc("returns.md", "Returns", "You can return an item within 30 days. Our team answers from Monday to Friday."),
            Doc("shipping.md", "Shipping", "Standard shipping takes three working days to Hamburg and Munich. Our team answers from Monday to Friday."),
            Doc("payment.md", "Payment", "You can pay by card or by invoice. Our team answers from Monday to Friday."),
        ]);
        var draft = await new GroundedAnswerer(Manifest(), index, new ExtractiveChatClient()).AnswerAsync("How long does standard shipping take to Leipzig?", Ct);
        Assert.False(draft.Abstained, draft.ReasonDetail);
    }
}

public sealed class SourceProfileTypoTests
{
    [Fact]
    public void HasTypoOf_AcceptsOneEditOrSwap_ButNotAnotherWordTwoEditsAway()
    {
        using var index = new PassageIndex();
        index.Upsert([new SourceDocument
        {
            Source = "docs", Path = "a.md", Version = "v1", Id = "a", Title = "Counting",
            Text = "A miscount of rows is reported by the carney table module. The maximum applies to every table.",
        }]);
        var profile = SourceProfile.Of(index);
        // Two edits away with another first letter: the loose typo check used for key terms takes it, the one for the
        // asked-about phrase does not.
        Assert.True(profile.HasNear("discount"));
        Assert.False(profile.HasTypoOf("discount"));
        Assert.False(profile.HasTypoOf("career"));
        Assert.True(profile.HasTypoOf("tabel"));
        Assert.True(profile.HasTypoOf("maxmium"));
    }
}

/// <summary>The sources' vocabulary is what the current versions of the documents say, titles and outdated pages included.</summary>
public sealed class SourceProfileVocabularyTests
{
    private static SourceDocument Doc(string path, string version, string title, string text, string status = "current") => new()
    {
        Source = "docs", Path = path, Version = version, Id = Path.GetFileNameWithoutExtension(path),
        Title = title, Status = status, Classification = "public", Text = text,
    };

    [Fact]
    public void Vocabulary_AfterADocumentIsReplaced_HoldsItsNewWordsAndNotWordsOnlyTheOldVersionHad()
    {
        using var index = new PassageIndex();
        index.Upsert([Doc("a.md", "v1", "Parcels", "Parcels travel by zeppelin across the valley."), Doc("b.md", "v1", "Returns", "Returns are free.")]);
        Assert.Contains("zeppelin", SourceProfile.Of(index).Vocabulary);

        index.Upsert([Doc("a.md", "v2", "Parcels", "Parcels travel by lorry across the valley.")]);
        var vocabulary = SourceProfile.Of(index).Vocabulary;
        // The index still lists the replaced passage's terms until its segment is merged: they must not count.
        Assert.DoesNotContain("zeppelin", vocabulary);
        Assert.Contains(index.Terms("lorry").Single(), vocabulary);
        Assert.Contains("free", vocabulary);
    }

    [Fact]
    public void Vocabulary_HoldsTitlesAndOutdatedDocuments_ThatRetrievalDoesNotIndex()
    {
        using var index = new PassageIndex();
        index.Upsert([Doc("a.md", "v1", "Warranty Terms", "Claims are answered within five days."), Doc("old.md", "v1", "Old Policy", "Refunds went out by cheque.", status: "outdated")]);
        var vocabulary = SourceProfile.Of(index).Vocabulary;
        // As retrieval analyses them (stemmed): the title's "warranty", the outdated page's "cheque".
        Assert.Contains(index.Terms("warranty").Single(), vocabulary);
        Assert.Contains(index.Terms("cheque").Single(), vocabulary);
        Assert.Contains(index.Terms("claims").Single(), vocabulary);
    }
}

public sealed class SourceProfileWordsTests
{
    // The words the subject is counted from, as the pattern they were first read with defines them.
    private static readonly System.Text.RegularExpressions.Regex Pattern = new(@"(?<![\p{L}\p{N}_])\p{L}[\p{L}\p{N}]*(?![\p{L}\p{N}_])", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    [Theory]
    [InlineData("SQLite is a library; call sqlite3_open() or SQLITE_OPEN_READONLY, then x2 and 3abc.")]
    [InlineData("_lead trail_ mid_dle a-b c.d e,f (g) 'h' \"i\" éclair naïve Straße 東京 ½x x½ a\u0301b")]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("9")]
    [InlineData("word_")]
    public void Words_AreThoseThePatternFinds(string text)
    {
        var expected = Pattern.Matches(text).Select(m => (m.Index, m.Length)).ToList();
        Assert.Equal(expected, SourceProfile.Words(text).ToList());
    }
}
