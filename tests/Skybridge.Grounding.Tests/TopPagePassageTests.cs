using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// By words alone, the page retrieval ranks first is read beyond its best passage: the paragraph of that page that
/// states most of the question's terms reaches the engine even when short passages dense in the question's words, of
/// this page and others, fill <c>top_k</c> before it.
/// </summary>
public sealed class TopPagePassageTests : IDisposable
{
    // The short summary lines repeat "page size"; the paragraph that says which sizes are allowed says it once, in a
    // long paragraph, so BM25 ranks it below the summaries of both pages ("pick" is on no page).
    private const string PageSize = """
        # Page size

        ## Page size

        The page size is the size of each page. Page size: page size.

        ## Choosing a page size

        When a database is created you choose the size it keeps for its whole life, and the choice is written into the header of the file so that every later connection reads the file the same way. A page size must be a power of two between 512 and 65536 bytes. Larger values suit large rows and sequential scans; smaller ones waste less space on small rows and keep the cache fine-grained. Changing it later needs the file to be rebuilt, which reads and writes the whole file once and takes about as long as copying it.
        """;

    private const string Cache = """
        # Cache

        ## Cache size

        The cache size is counted in pages of the page size: cache size times page size.
        """;

    private readonly PassageIndex _index = new();

    public TopPagePassageTests() => _index.Upsert([GroundingFixture.Doc("pagesize.md", PageSize, "Page size"), GroundingFixture.Doc("cache.md", Cache, "Cache")]);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<Draft> AskAsync(string text) =>
        new GroundedAnswerer(GroundingFixture.Manifest() with { Retrieval = new RetrievalSettings { TopK = 2, MinScore = 0.1, AbstainBelow = 0.3 } }, _index, new ExtractiveChatClient())
            .AnswerAsync(text, Ct);

    [Fact]
    public async Task Answer_QuotesTheTopPagesParagraphThatStatesTheFact_WhenDenserPassagesFillTopK()
    {
        var draft = await AskAsync("Which page size can I pick?");

        Assert.False(draft.Abstained, draft.ReasonDetail);
        Assert.Contains("power of two between 512 and 65536", draft.Answer, StringComparison.Ordinal);
        Assert.All(draft.Claims.SelectMany(c => c.Citations), c => Assert.Equal("pagesize.md", c.Document));
    }

    [Fact]
    public async Task Retrieved_AddsOnlyPassagesOfTheFirstRankedPage_WhenReadingAroundIt()
    {
        var draft = await AskAsync("Which page size can I pick?");

        var beyondTopK = draft.Retrieved.Skip(2).ToList();
        Assert.NotEmpty(beyondTopK);
        Assert.All(beyondTopK, p => Assert.Equal("pagesize.md", p.Document));
    }

    public void Dispose() => _index.Dispose();
}
