namespace Skybridge.Storage;

/// <summary>Source documents inside a workflow's data boundary: every version kept, so old citations stay checkable.</summary>
public interface ISourceStore
{
    /// <summary>
    /// Records a source's documents as they are now: new versions are added, unchanged ones left, and documents of
    /// <paramref name="source"/> no longer present are marked removed (their versions stay).
    /// </summary>
    Task<DocumentSync> SyncSourceDocumentsAsync(string workflowId, string source, IReadOnlyList<StoredDocument> documents, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>The newest, not removed, version of every document of a workflow.</summary>
    Task<IReadOnlyList<StoredDocument>> ListCurrentDocumentsAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>One version of one document, removed or not; null when never ingested.</summary>
    Task<StoredDocument?> GetDocumentVersionAsync(string workflowId, string source, string path, string version, CancellationToken cancellationToken = default);

    /// <summary>A number that changes whenever a workflow's documents change (for caches).</summary>
    Task<long> GetDocumentsGenerationAsync(string workflowId, CancellationToken cancellationToken = default);
}

/// <summary>What a sync changed.</summary>
public sealed record DocumentSync(int Added, int Unchanged, int Removed);

/// <summary>One version of one source document.</summary>
public sealed record StoredDocument
{
    public required string Source { get; init; }
    public required string Path { get; init; }
    public required string Version { get; init; }
    public required string DocId { get; init; }
    public required string Title { get; init; }
    public required string Status { get; init; }
    public string? SupersededBy { get; init; }
    /// <summary>Ids of contradicted documents, comma-separated.</summary>
    public string Contradicts { get; init; } = "";
    public required string Classification { get; init; }
    public required string Text { get; init; }
    public DateTimeOffset IngestedAt { get; init; }
    public DateTimeOffset? RemovedAt { get; init; }
}
