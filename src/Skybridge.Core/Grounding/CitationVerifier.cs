namespace Skybridge.Core.Grounding;

/// <summary>
/// A citation: the claim's support as (document, version, character span, exact quote). <see cref="Start"/> and
/// <see cref="End"/> are UTF-16 offsets into the document version's text, end exclusive.
/// </summary>
public sealed record Citation(string Document, string Version, int Start, int End, string Quote);

/// <summary>Why a citation does or does not hold.</summary>
public enum CitationVerdict
{
    /// <summary>The quote occurs in that span of that version.</summary>
    Verified,

    /// <summary>The document is not in the data boundary (or was never ingested).</summary>
    UnknownDocument,

    /// <summary>No such version of the document is kept.</summary>
    UnknownVersion,

    /// <summary>The span lies outside the document, or is empty or reversed.</summary>
    SpanOutOfRange,

    /// <summary>The quote is empty or does not occur in the cited span.</summary>
    QuoteNotInSpan,
}

/// <summary>One citation's check; <see cref="QuoteStart"/>/<see cref="QuoteEnd"/> locate the quote in the original text.</summary>
public sealed record CitationCheck(Citation Citation, CitationVerdict Verdict, int QuoteStart = -1, int QuoteEnd = -1)
{
    /// <summary>True when the citation holds.</summary>
    public bool IsVerified => Verdict == CitationVerdict.Verified;
}

/// <summary>
/// Checks citations mechanically: the quoted text must occur inside the cited span of the cited version, after
/// whitespace and Unicode normalisation (<see cref="NormalizedText"/>). Nothing is trusted from the model or engine
/// that produced the citation; the document text comes from the store.
/// </summary>
public static class CitationVerifier
{
    /// <summary>
    /// Verifies <paramref name="citation"/>. <paramref name="findText"/> returns the text of (document, version), or null
    /// when that document or version is unknown; <paramref name="documentExists"/> tells the two apart.
    /// </summary>
    public static CitationCheck Verify(Citation citation, Func<string, string, string?> findText, Func<string, bool> documentExists)
    {
        ArgumentNullException.ThrowIfNull(citation);
        ArgumentNullException.ThrowIfNull(findText);
        ArgumentNullException.ThrowIfNull(documentExists);
        var text = findText(citation.Document, citation.Version);
        if (text is null)
        {
            return new CitationCheck(citation, documentExists(citation.Document) ? CitationVerdict.UnknownVersion : CitationVerdict.UnknownDocument);
        }

        if (citation.Start < 0 || citation.End > text.Length || citation.End <= citation.Start)
        {
            return new CitationCheck(citation, CitationVerdict.SpanOutOfRange);
        }

        var quote = NormalizedText.Of(citation.Quote ?? "").Text;
        if (quote.Length == 0)
        {
            return new CitationCheck(citation, CitationVerdict.QuoteNotInSpan);
        }

        var span = NormalizedText.Of(text[citation.Start..citation.End]);
        var at = span.Text.IndexOf(quote, StringComparison.Ordinal);
        if (at < 0)
        {
            return new CitationCheck(citation, CitationVerdict.QuoteNotInSpan);
        }

        var (start, end) = span.OriginalSpan(at, at + quote.Length);
        return new CitationCheck(citation, CitationVerdict.Verified, citation.Start + start, citation.Start + end);
    }

    /// <summary>Share of claims with at least one verified citation (1 when there are no claims: nothing unsupported was said).</summary>
    public static double Coverage(IReadOnlyList<IReadOnlyList<CitationCheck>> claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        return claims.Count == 0 ? 1.0 : claims.Count(c => c.Any(x => x.IsVerified)) / (double)claims.Count;
    }
}
