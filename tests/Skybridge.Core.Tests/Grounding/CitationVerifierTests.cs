using Skybridge.Core.Grounding;

namespace Skybridge.Core.Tests.Grounding;

public sealed class CitationVerifierTests
{
    private const string Article = "Returns\n\nYou can return unworn items within  30 days\u00a0of delivery.\r\nRefunds reach the original payment method within 14 days \u2014 usually sooner.";
    private static readonly string Version = DocumentVersion.Of(Article);

    private static string? Find(string document, string version) => document == "returns/refund-policy.md" && version == Version ? Article : null;

    private static bool Exists(string document) => document == "returns/refund-policy.md";

    private static CitationCheck Check(int start, int end, string quote, string version = "") =>
        CitationVerifier.Verify(new Citation("returns/refund-policy.md", version.Length == 0 ? Version : version, start, end, quote), Find, Exists);

    [Fact]
    public void Quote_InTheSpan_IsVerified_EvenWithOtherSpacingAndDashes()
    {
        var check = Check(0, Article.Length, "return unworn items within 30 days of delivery");
        Assert.True(check.IsVerified);
        // The located quote is shown in the original text, with its original double space and no-break space.
        Assert.Equal("return unworn items within  30 days\u00a0of delivery", Article[check.QuoteStart..check.QuoteEnd]);

        Assert.True(Check(0, Article.Length, "within 14 days - usually sooner").IsVerified);
        Assert.True(Check(0, Article.Length, "within 14 days \u2013 usually sooner").IsVerified);
    }

    [Fact]
    public void Quote_OutsideTheCitedSpan_OrInvented_IsNotVerified()
    {
        var refundAt = Article.IndexOf("Refunds", StringComparison.Ordinal);
        Assert.Equal(CitationVerdict.QuoteNotInSpan, Check(refundAt, Article.Length, "within 30 days").Verdict);
        Assert.Equal(CitationVerdict.QuoteNotInSpan, Check(0, Article.Length, "within 60 days of delivery").Verdict);
        Assert.Equal(CitationVerdict.QuoteNotInSpan, Check(0, Article.Length, "   ").Verdict);
    }

    [Fact]
    public void AnotherVersion_OrDocument_OrSpan_IsReportedAsSuch()
    {
        Assert.Equal(CitationVerdict.UnknownVersion, Check(0, 10, "Returns", version: DocumentVersion.Of(Article + " edited")).Verdict);
        Assert.Equal(CitationVerdict.UnknownDocument, CitationVerifier.Verify(new Citation("secrets/salaries.md", Version, 0, 5, "x"), Find, Exists).Verdict);
        Assert.Equal(CitationVerdict.SpanOutOfRange, Check(5, Article.Length + 1, "Returns").Verdict);
        Assert.Equal(CitationVerdict.SpanOutOfRange, Check(10, 10, "Returns").Verdict);
        Assert.Equal(CitationVerdict.SpanOutOfRange, Check(-1, 10, "Returns").Verdict);
    }

    [Fact]
    public void Normalization_FoldsCompatibilityForms_AndMapsBackToTheOriginal()
    {
        var text = NormalizedText.Of("  e\uFB03cient\u00a0\u00a0 \uFF13\uFF10 days\u200b ");
        Assert.Equal("efficient 30 days", text.Text);
        Assert.Equal((2, 9), text.OriginalSpan(0, "efficient".Length));
    }

    [Fact]
    public void Coverage_IsTheShareOfClaimsWithAVerifiedCitation()
    {
        var good = Check(0, Article.Length, "30 days");
        var bad = Check(0, Article.Length, "90 days");
        Assert.Equal(0.5, CitationVerifier.Coverage([[good, bad], [bad]]));
        Assert.Equal(1.0, CitationVerifier.Coverage([]));
    }
}
