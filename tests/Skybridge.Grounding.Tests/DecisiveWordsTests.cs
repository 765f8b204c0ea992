using Skybridge.Core.Grounding;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

/// <summary>A passage that BM25 ranks first by a wide margin over every other page is not lost in rank fusion.</summary>
public sealed class DecisiveWordsTests
{
    private static readonly (string DocKey, TextSpan Span) Express = ("kb/express-shipping.md", new TextSpan(0, 100));
    private static readonly (string DocKey, TextSpan Span) ExpressOther = ("kb/express-shipping.md", new TextSpan(100, 200));
    private static readonly (string DocKey, TextSpan Span) Times = ("kb/shipping-times.md", new TextSpan(0, 100));
    private static readonly (string DocKey, TextSpan Span) Costs = ("kb/shipping-costs.md", new TextSpan(0, 100));

    // Fused by rank: the express page's passage is first by words but far down by meaning, so two passages both rankings
    // put in the middle outrank it.
    private static Dictionary<(string DocKey, TextSpan Span), double> Fused() => new()
    {
        [Times] = (1.0 / 62) + (1.0 / 61),
        [Costs] = (1.0 / 63) + (1.0 / 62),
        [Express] = (1.0 / 61) + (1.0 / 100),
        [ExpressOther] = 1.0 / 64,
    };

    [Fact]
    public void WithDecisiveWords_PutsBm25sFirstPassageFirst_WhenItScoresHalfAgainAnyOtherPage()
    {
        var lexical = new List<(string, TextSpan, float)> { (Express.DocKey, Express.Span, 17.1f), (ExpressOther.DocKey, ExpressOther.Span, 12f), (Times.DocKey, Times.Span, 8.9f), (Costs.DocKey, Costs.Span, 5.7f) };

        var ordered = PassageIndex.WithDecisiveWords(Fused(), lexical);

        Assert.Equal(Express, ordered.MaxBy(p => p.Value).Key);
        // The rest keeps its order: meaning and page evidence still decide below the first place.
        Assert.True(ordered[Times] > ordered[Costs]);
    }

    [Fact]
    public void WithDecisiveWords_KeepsTheFusedOrder_WhenAnotherPageScoresClose()
    {
        var lexical = new List<(string, TextSpan, float)> { (Express.DocKey, Express.Span, 10f), (Times.DocKey, Times.Span, 8f) };

        var ordered = PassageIndex.WithDecisiveWords(Fused(), lexical);

        Assert.Equal(Times, ordered.MaxBy(p => p.Value).Key);
        Assert.Equal(Fused(), ordered);
    }

    [Fact]
    public void WithDecisiveWords_DoesNotCountThePagesOwnPassages_AsTheMargin()
    {
        // The second passage by words is the same page's: the margin is over the best other page (10 against 9), not
        // over the page's own next passage (10 against 5), so nothing is singled out.
        var lexical = new List<(string, TextSpan, float)> { (Express.DocKey, Express.Span, 10f), (ExpressOther.DocKey, ExpressOther.Span, 5f), (Times.DocKey, Times.Span, 9f) };

        var ordered = PassageIndex.WithDecisiveWords(Fused(), lexical);

        Assert.Equal(Times, ordered.MaxBy(p => p.Value).Key);
    }

    [Fact]
    public void WithDecisiveWords_PutsTheOnlyPageWordsMatchFirst()
    {
        var lexical = new List<(string, TextSpan, float)> { (Express.DocKey, Express.Span, 3f), (ExpressOther.DocKey, ExpressOther.Span, 2f) };

        var ordered = PassageIndex.WithDecisiveWords(Fused(), lexical);

        Assert.Equal(Express, ordered.MaxBy(p => p.Value).Key);
    }
}
