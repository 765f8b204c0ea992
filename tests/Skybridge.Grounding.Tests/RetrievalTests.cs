using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

public sealed class RetrievalTests : IClassFixture<GroundingFixture>
{
    private readonly GroundingFixture _kb;

    public RetrievalTests(GroundingFixture kb) => _kb = kb;

    [Fact]
    public void Search_FindsThePassageThatAnswers_WithStemming()
    {
        var hits = _kb.Index.Search("How long until my refund arrives after I returned the boots?", 3);
        Assert.Equal("returns/refund-policy.md", hits[0].Document.Path);
        Assert.Contains("Refunds go to the original payment method", hits[0].Text, StringComparison.Ordinal);
        Assert.True(hits[0].Coverage > 0.35, hits[0].Coverage.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Search_NeverReturnsOutdatedPages()
    {
        var hits = _kb.Index.Search("return items within 14 days of delivery", 10);
        Assert.NotEmpty(hits);
        Assert.DoesNotContain(hits, h => h.Document.IsOutdated);
    }

    [Fact]
    public void Search_QuerySyntaxIsJustText()
    {
        Assert.DoesNotContain(_kb.Index.Search("title:* AND NOT ((", 5), h => h.Coverage > 0.9);
        Assert.Empty(_kb.Index.Search("the of and", 5));
    }

    [Fact]
    public void Upsert_ReplacesAChangedDocumentAlone()
    {
        using var index = new PassageIndex();
        index.Upsert(_kb.Report.Documents);
        var before = index.PassageCount;
        var refund = _kb.Report.Documents.Single(d => d.Id == "refund-policy");
        var edited = refund with { Text = refund.Text.Replace("30 days", "45 days", StringComparison.Ordinal), Version = "v2" };
        Assert.Equal(1, index.Upsert(_kb.Report.Documents.Select(d => d.Id == "refund-policy" ? edited : d)));
        Assert.Equal(before, index.PassageCount);
        Assert.Contains("45 days", index.Search("return unused items days delivery", 1)[0].Text, StringComparison.Ordinal);
        Assert.Equal(0, index.Upsert(_kb.Report.Documents.Select(d => d.Id == "refund-policy" ? edited : d)));
    }
}
