namespace Skybridge.Grounding.Documents;

/// <summary>
/// One version of one document inside a declared source. <see cref="Text"/> is what retrieval reads and what
/// citations point into (Markdown without its front matter, HTML as text, plain text without its header lines);
/// <see cref="Version"/> is its SHA-256, so a citation names exactly the text it quotes.
/// </summary>
public sealed record SourceDocument
{
    /// <summary>The source's name in the manifest (<c>knowledge-base</c>).</summary>
    public required string Source { get; init; }

    /// <summary>Path under the source folder, with '/' separators (<c>returns/refund-policy.md</c>).</summary>
    public required string Path { get; init; }

    /// <summary>Lower-case hex SHA-256 of <see cref="Text"/>.</summary>
    public required string Version { get; init; }

    /// <summary>Title from the metadata, else the path.</summary>
    public required string Title { get; init; }

    /// <summary>The text citations point into.</summary>
    public required string Text { get; init; }

    /// <summary>The document's own id (<c>refund-policy</c>), used by <see cref="Contradicts"/> and <see cref="SupersededBy"/>.</summary>
    public required string Id { get; init; }

    /// <summary><c>current</c> or <c>outdated</c>.</summary>
    public string Status { get; init; } = "current";

    /// <summary>The id of the document that replaces an outdated one, or null.</summary>
    public string? SupersededBy { get; init; }

    /// <summary>Ids of documents this one is known to contradict.</summary>
    public IReadOnlyList<string> Contradicts { get; init; } = [];

    /// <summary>The source's classification label (<c>internal</c>...).</summary>
    public string Classification { get; init; } = "internal";

    /// <summary>True for an outdated page: kept for old citations, never used for new answers.</summary>
    public bool IsOutdated => string.Equals(Status, "outdated", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// A file that was not ingested, and why. <paramref name="LeftOutOnPurpose"/> is true for a page the reader leaves out
/// by its own rule (a link list, a page of nothing but site chrome): nothing for the source's owner to fix, unlike a file
/// it cannot read (binary, not UTF-8, too large, a format not declared, a link it does not follow).
/// </summary>
public sealed record SkippedFile(string Path, string Reason, bool LeftOutOnPurpose = false);

/// <summary>What reading a source folder gave: the documents, and every file left out with its reason.</summary>
public sealed record IngestionReport(IReadOnlyList<SourceDocument> Documents, IReadOnlyList<SkippedFile> Skipped);
